"""``federation members trust|probation|standing``: admins set or override a member's trust and probation."""

from __future__ import annotations

import json
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from ..database import utcnow
from ..extensions import db
from ..members.service import get_member
from ..reputation import standing
from ..reputation.formula import ReputationModel
from .common import actor, run
from .members import members_group


def _show(member) -> None:
    view = standing.standing(member, utcnow())
    click.echo(json.dumps({"id": member.id, **view}, indent=1, default=lambda value: value.isoformat()))


@members_group.command("trust")
@click.argument("member_id")
@click.option("--base", type=click.FloatRange(0, 1), help="new base trust for the formula")
@click.option("--override", type=click.FloatRange(0, 1), help="trust that wins over the formula")
@click.option("--clear-override", is_flag=True, help="remove the override: the formula decides again")
@click.option("--reason", required=True, help="why (recorded in the event)")
@with_appcontext
def members_trust(member_id, base, override, clear_override, reason) -> None:
    """Set a member's base trust, override it, or remove the override; prints its standing."""
    if override is not None and clear_override:
        raise click.UsageError("--override and --clear-override exclude each other")
    change = {"override": None} if clear_override else ({"override": override} if override is not None else {})
    member = run(
        lambda: standing.set_trust(
            db.session,
            get_member(db.session, member_id),
            ReputationModel.from_config(current_app.config),
            base=base,
            reason=reason,
            actor=actor(),
            now=utcnow(),
            **change,
        )
    )
    _show(member)


@members_group.command("probation")
@click.argument("member_id")
@click.option("--until", "until", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), help="new end (UTC)")
@click.option("--end", is_flag=True, help="end probation now")
@click.option("--reason", required=True, help="why (recorded in the event)")
@with_appcontext
def members_probation(member_id, until: datetime | None, end, reason) -> None:
    """Extend, shorten or end a member's probation; prints its standing."""
    if (until is None) == (not end):
        raise click.UsageError("give exactly one of --until and --end")
    when = until.replace(tzinfo=utcnow().tzinfo) if until else None
    member = run(
        lambda: standing.set_probation(
            db.session, get_member(db.session, member_id), when, reason=reason, actor=actor(), now=utcnow()
        )
    )
    _show(member)


@members_group.command("standing")
@click.argument("member_id")
@with_appcontext
def members_standing(member_id) -> None:
    """A member's effective trust, its inputs, override and probation, as JSON."""
    _show(run(lambda: get_member(db.session, member_id)))
