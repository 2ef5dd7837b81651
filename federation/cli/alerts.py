"""``federation alerts list | ack | resolve``: admins' alerts from the command line."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from ..alerts import service as alerts
from ..alerts.models import STATES
from ..database import utcnow
from ..extensions import db
from .common import actor, run


@click.group("alerts")
def alerts_group() -> None:
    """Lookup sweeps and listing surges (docs/security.md, "Sweeps and surges")."""


@alerts_group.command("list")
@click.option("--state", type=click.Choice(STATES), help="only this state (default: every unresolved alert)")
@with_appcontext
def list_command(state: str | None) -> None:
    """Alerts, oldest first."""
    found = run(lambda: alerts.list_alerts(db.session, state))
    if not found:
        click.echo("no alerts")
    for alert in found:
        details = json.dumps(alert.details, sort_keys=True)
        raised = f"{alert.raised_at:%Y-%m-%dT%H:%M:%SZ}"
        click.echo(f"{alert.ref}  {alert.state:<12} {alert.kind:<14} {alert.member_id:<24} {raised}  {details}")


@alerts_group.command("ack")
@click.argument("ref")
@click.option("--reason", required=True, help="what is being done about it (kept on the alert)")
@with_appcontext
def ack_command(ref: str, reason: str) -> None:
    """Acknowledge an open alert."""
    alert = run(lambda: alerts.acknowledge(db.session, ref, actor=actor(), reason=reason, now=utcnow()))
    click.echo(f"{alert.ref} acknowledged")


@alerts_group.command("resolve")
@click.argument("ref")
@click.option("--reason", required=True, help="why it is closed (kept on the alert)")
@with_appcontext
def resolve_command(ref: str, reason: str) -> None:
    """Resolve an alert; for a lookup sweep this lifts the member's throttle (with Redis, on every worker)."""
    alert = run(lambda: alerts.resolve(db.session, ref, actor=actor(), reason=reason, now=utcnow()))
    click.echo(f"{alert.ref} resolved")
