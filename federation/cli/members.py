"""Member platforms and their public keys."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..database import utcnow
from ..extensions import db
from ..members import service as members
from ..members.models import ROLES
from ..reputation import standing
from ..reputation.formula import ReputationModel
from .common import actor, run


# -- members ------------------------------------------------------------------------------------
@click.group("members")
def members_group() -> None:
    """Member platforms."""


def _member_line(member) -> str:
    roles = member.roles.replace(" ", ",") or "-"
    return "\t".join([member.id, member.status, roles, str(member.trust_weight), member.display_name])


@members_group.command("add")
@click.argument("member_id")
@click.option("--name", "display_name", required=True, help="display name")
@click.option("--roles", default="query", show_default=True, help=f"comma-separated: {','.join(ROLES)}")
@click.option("--contact", default="", help="operations contact")
@click.option("--trust-weight", default=1.0, show_default=True, type=click.FloatRange(0, 1))
@click.option("--activate", is_flag=True, help="start active instead of pending")
@click.option("--declared-daily-lookups", type=click.IntRange(0), help="expected lookups per day; sizes its budget")
@with_appcontext
def members_add(member_id, display_name, roles, contact, trust_weight, activate, declared_daily_lookups) -> None:
    """Admit a member platform."""
    member = run(
        lambda: standing.admit_member(  # members.add_member, then probation (reputation)
            db.session,
            ReputationModel.from_config(current_app.config),
            member_id=member_id,
            display_name=display_name,
            roles=roles.split(","),
            contact=contact,
            trust_weight=trust_weight,
            status="active" if activate else "pending",
            declared_daily_lookups=declared_daily_lookups,
            actor=actor(),
            now=utcnow(),
        )
    )
    click.echo(_member_line(member))


@members_group.command("list")
@with_appcontext
def members_list() -> None:
    """id, status, roles, trust weight, name: one member a line."""
    for member in members.list_members(db.session):
        click.echo(_member_line(member))


@members_group.command("show")
@click.argument("member_id")
@with_appcontext
def members_show(member_id) -> None:
    """A member and its keys, as JSON."""
    member = run(lambda: members.get_member(db.session, member_id))
    click.echo(
        json.dumps(
            {
                "id": member.id,
                "display_name": member.display_name,
                "status": member.status,
                "roles": member.roles.split(),
                "trust_weight": member.trust_weight,
                "contact": member.contact,
                "declared_daily_lookups": member.declared_daily_lookups,
                "daily_lookup_quota": member.daily_lookup_quota,
                "created_at": member.created_at.isoformat(),
                "keys": [
                    {"kid": k.kid, "alg": k.alg, "active": k.active, "thumbprint": k.thumbprint} for k in member.keys
                ],
            },
            indent=1,
        )
    )


def _count_or_none(_ctx, _param, value: str | None) -> object:
    if value is None:
        return members.UNCHANGED
    if value.lower() in ("none", "-"):
        return None
    if not value.isdigit():
        raise click.BadParameter("a whole number of identifiers per day, or 'none'")
    return int(value)


@members_group.command("budget")
@click.argument("member_id")
@click.option("--declared", callback=_count_or_none, help="declared lookups per day ('none' clears it)")
@click.option("--quota", callback=_count_or_none, help="admin override of the daily budget ('none': sized)")
@click.option("--reason", default="", help="why (required for a change; recorded in the event)")
@with_appcontext
def members_budget(member_id, declared, quota, reason) -> None:
    """Set (or, with no option, show) a member's declared volume and daily lookup budget override."""
    member = run(
        lambda: members.set_lookup_budget(
            db.session,
            member_id,
            declared_daily_lookups=declared,
            daily_lookup_quota=quota,
            reason=reason,
            actor=actor(),
            now=utcnow(),
        )
    )
    allowance = current_app.extensions["federation.lookups"].budget.policy.allowance(
        member.declared_daily_lookups, member.daily_lookup_quota
    )
    shown = [
        member.id,
        f"declared {member.declared_daily_lookups if member.declared_daily_lookups is not None else '-'}",
        f"quota {member.daily_lookup_quota if member.daily_lookup_quota is not None else '-'}",
        f"budget {allowance.daily}/day",
        f"burst {allowance.burst}/minute",
    ]
    click.echo("\t".join(shown))


@members_group.command("suspend")
@click.argument("member_id")
@click.option("--reason", default="", help="why (required for a change; recorded in the event)")
@with_appcontext
def members_suspend(member_id, reason) -> None:
    """Refuse the member everywhere at once, live tokens included."""
    click.echo(
        _member_line(
            run(
                lambda: members.set_status(
                    db.session, member_id, "suspended", actor=actor(), now=utcnow(), reason=reason
                )
            )
        )
    )


@members_group.command("activate")
@click.argument("member_id")
@click.option("--reason", default="", help="why (required for a change; recorded in the event)")
@with_appcontext
def members_activate(member_id, reason) -> None:
    """Activate a pending or suspended member."""
    click.echo(
        _member_line(
            run(lambda: members.set_status(db.session, member_id, "active", actor=actor(), now=utcnow(), reason=reason))
        )
    )


# -- keys ---------------------------------------------------------------------------------------
@click.group("keys")
def keys_group() -> None:
    """Members' public keys."""


@keys_group.command("add")
@click.argument("member_id")
@click.argument("key_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kid", help="key id (default: the kid in the JWK, else the RFC 7638 thumbprint)")
@with_appcontext
def keys_add(member_id, key_file: Path, kid) -> None:
    """Register a public key from a PEM or JWK file."""
    text = key_file.read_text(encoding="utf-8")
    if not kid and text.lstrip().startswith("{"):
        kid = json.loads(text).get("kid")
    key = run(lambda: members.add_key(db.session, member_id, text, kid=kid, actor=actor(), now=utcnow()))
    click.echo(f"{key.kid}\t{key.alg}\t{key.thumbprint}")


@keys_group.command("list")
@click.argument("member_id")
@with_appcontext
def keys_list(member_id) -> None:
    """kid, algorithm, active/revoked, thumbprint: one key a line."""
    for key in run(lambda: members.list_keys(db.session, member_id)):
        click.echo(f"{key.kid}\t{key.alg}\t{'active' if key.active else 'revoked'}\t{key.thumbprint}")


@keys_group.command("revoke")
@click.argument("member_id")
@click.argument("kid")
@with_appcontext
def keys_revoke(member_id, kid) -> None:
    """Revoke a key at once (operators may revoke a member's last key)."""
    key = run(lambda: members.revoke_key(db.session, member_id, kid, actor=actor(), now=utcnow(), allow_last=True))
    click.echo(f"{key.kid}\trevoked")
