"""``federation protective``: reviewers' and operators' side of protective registrations."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..database import utcnow
from ..extensions import db
from ..protective import service as protective
from ..protective.models import REASONS
from .common import actor, run


@click.group("protective")
def protective_group() -> None:
    """Protective registrations: identity-theft victims' identifiers draw at most review."""


def _terms() -> protective.Terms:
    return current_app.extensions["federation.protective.terms"]


@protective_group.command("queue")
@with_appcontext
def queue() -> None:
    """Registrations in force, members' unconfirmed ones first."""
    now = utcnow()
    for item in protective.review_queue(db.session, now):
        by = item.member_id or f"appeal {item.appeal_ref}"
        confirmed = f"confirmed by {item.confirmed_by}" if item.confirmed_by else "UNCONFIRMED"
        click.echo(
            f"{item.ref}  {by}  {','.join(item.types)}  {item.reason}  {confirmed}  until {item.expires_at:%Y-%m-%d}"
        )


@protective_group.command("register-appeal")
@click.argument("appeal")
@click.option("--reason", required=True, type=click.Choice(REASONS))
@with_appcontext
def register_appeal(appeal: str, reason: str) -> None:
    """Register an appellant's identifiers (confirmed) from appeal APPEAL."""
    done = run(
        lambda: protective.register_from_appeal(
            db.session, actor(), appeal, reason=reason, terms=_terms(), now=utcnow()
        )
    )
    click.echo(f"{done.registration.ref}: {'registered' if done.created else 'already registered'}")


@protective_group.command("confirm")
@click.argument("ref")
@with_appcontext
def confirm(ref: str) -> None:
    registration = run(lambda: protective.confirm(db.session, actor(), ref, terms=_terms(), now=utcnow()))
    click.echo(f"{ref}: confirmed until {registration.expires_at:%Y-%m-%d}")


@protective_group.command("withdraw")
@click.argument("ref")
@click.option("--reason", required=True)
@with_appcontext
def withdraw(ref: str, reason: str) -> None:
    run(
        lambda: protective.withdraw(
            db.session, protective.get_registration(db.session, ref), actor=actor(), reason=reason, now=utcnow()
        )
    )
    click.echo(f"{ref}: withdrawn")
