"""Recording events. Callers flush; the request or CLI boundary commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import feed
from .models import Event


def record(
    session: Session,
    tag: str,
    subject: str,
    *,
    actor: str,
    now: datetime,
    payload: dict[str, Any] | None = None,
    recipient: str | None = None,
) -> Event:
    """Add an event to the session; it commits (or rolls back) with the change it describes.

    ``recipient``: the member its change-feed item is addressed to (others never see it); kept
    out of the payload, which stays free of who is involved.
    """
    if ":" not in tag:
        raise ValueError("event tags are subject:action")
    event = Event(tag=tag, subject=subject, actor=actor, payload=payload or {}, created_at=now)
    session.add(event)
    feed.note(session, event, recipient)
    return event


def history(session: Session, subject: str) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.subject == subject).order_by(Event.id)))
