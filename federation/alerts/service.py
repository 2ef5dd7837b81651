"""Raising, listing and working admin alerts.

A detector calls :func:`raise_alert`; at most one unresolved alert exists per member and kind
(a lock per member and kind makes concurrent raises find the first one, which then counts a
repeat). Raising records ``alert:raised`` once, and one ``alert:notified`` per active admin
member, addressed to it: the change feed and webhooks carry those to admins' endpoints only,
with the alert's ref and kind, never the member concerned (admins read that at ``GET
/v1/alerts/{ref}``). Resolving an alert tells subscribers (:data:`resolved`): the sweep
detector lifts the member's throttle. Reasons stay on the alert, out of event payloads.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from typing import Any

from blinker import Namespace
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import locks
from ..errors import Conflict, NotFound
from ..events.service import record
from ..members.models import Member
from .models import STATES, Alert

#: Sent with ``(kind, member_id=)`` when an alert is resolved, inside the resolving transaction.
resolved = Namespace().signal("alert-resolved")


def new_ref() -> str:
    return "AL" + base64.b32encode(secrets.token_bytes(10)).decode("ascii")


def raise_alert(
    session: Session, kind: str, member_id: str, *, details: dict[str, Any], actor: str, now: datetime
) -> tuple[Alert, bool]:
    """The member's unresolved alert of this kind (a repeat is counted), or a new one; ``(alert, new)``."""
    locks.hold(session, f"alert:{kind}:{member_id}")
    existing = session.scalar(
        select(Alert).where(Alert.member_id == member_id, Alert.kind == kind, Alert.state != "resolved")
    )
    if existing is not None:
        existing.repeats += 1
        session.flush()
        return existing, False
    alert = Alert(
        ref=new_ref(), kind=kind, member_id=member_id, state="open", details=details, raised_at=now, repeats=0
    )
    session.add(alert)
    session.flush()
    payload = {"ref": alert.ref, "kind": kind}
    record(session, "alert:raised", f"alert:{alert.ref}", actor=actor, now=now, payload={**payload, "details": details})
    for admin in _admins(session):
        record(session, "alert:notified", f"alert:{alert.ref}", actor=actor, now=now, payload=payload, recipient=admin)
    session.flush()
    return alert, True


def _admins(session: Session) -> list[str]:
    members = session.execute(select(Member.id, Member.roles).where(Member.status == "active").order_by(Member.id))
    return [row.id for row in members if "admin" in row.roles.split()]


def list_alerts(session: Session, state: str | None = None, limit: int = 500) -> list[Alert]:
    """Alerts in ``state``, oldest first; ``None``: every unresolved one (open and acknowledged)."""
    query = select(Alert)
    query = query.where(Alert.state == state) if state else query.where(Alert.state != "resolved")
    return list(session.scalars(query.order_by(Alert.id).limit(limit)))


def get_alert(session: Session, ref: str) -> Alert:
    alert = session.scalar(select(Alert).where(Alert.ref == ref))
    if alert is None:
        raise NotFound(f"No alert {ref}.", code="alert_not_found")
    return alert


def acknowledge(session: Session, ref: str, *, actor: str, reason: str, now: datetime) -> Alert:
    """An admin has seen it and is on it; the member stays throttled until it is resolved."""
    alert = get_alert(session, ref)
    if alert.state != "open":
        raise Conflict(f"Alert {ref} is {alert.state}.", code="alert_not_open")
    alert.state, alert.acknowledged_by, alert.acknowledged_at, alert.acknowledge_reason = (
        "acknowledged",
        actor,
        now,
        reason,
    )
    record(session, "alert:acknowledged", f"alert:{ref}", actor=actor, now=now, payload={"ref": ref})
    session.flush()
    return alert


def resolve(session: Session, ref: str, *, actor: str, reason: str, now: datetime) -> Alert:
    """Close it: for a sweep this also lifts the member's throttle (the detector subscribes)."""
    alert = get_alert(session, ref)
    if alert.state == "resolved":
        raise Conflict(f"Alert {ref} is already resolved.", code="alert_resolved")
    alert.state, alert.resolved_by, alert.resolved_at, alert.resolve_reason = "resolved", actor, now, reason
    record(session, "alert:resolved", f"alert:{ref}", actor=actor, now=now, payload={"ref": ref, "kind": alert.kind})
    session.flush()
    resolved.send(alert.kind, member_id=alert.member_id)
    return alert


__all__ = ["STATES", "acknowledge", "get_alert", "list_alerts", "raise_alert", "resolve", "resolved"]
