"""Registering endpoints, queueing one delivery per change, reading the delivery log."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..errors import NotFound, ValidationFailed, field_error
from ..events.service import record
from .models import Webhook, WebhookDelivery


def add_webhook(session: Session, member_id: str, url: str, *, now: datetime, allow_insecure: bool) -> Webhook:
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_insecure else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise ValidationFailed(
            "A webhook URL is an absolute https:// URL.", errors=[field_error("/url", "An absolute https:// URL.")]
        )
    webhook = Webhook(member_id=member_id, url=url, active=True, created_at=now)
    session.add(webhook)
    session.flush()
    record(session, "webhook:added", f"member:{member_id}", actor=member_id, now=now, payload={"id": webhook.id})
    return webhook


def webhooks_of(session: Session, member_id: str) -> list[Webhook]:
    return list(
        session.scalars(select(Webhook).where(Webhook.member_id == member_id, Webhook.active).order_by(Webhook.id))
    )


def own_webhook(session: Session, member_id: str, webhook_id: int) -> Webhook:
    webhook = session.get(Webhook, webhook_id)
    if webhook is None or webhook.member_id != member_id or not webhook.active:
        raise NotFound(f"No webhook {webhook_id}.", code="webhook_not_found")
    return webhook


def remove_webhook(session: Session, member_id: str, webhook_id: int, *, now: datetime) -> None:
    """Stop deliveries; the log stays."""
    webhook = own_webhook(session, member_id, webhook_id)
    webhook.active = False
    session.execute(
        WebhookDelivery.__table__.update()
        .where(WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.state == "pending")
        .values(state="failed")
    )
    record(session, "webhook:removed", f"member:{member_id}", actor=member_id, now=now, payload={"id": webhook_id})


def queue_deliveries(session: Session, first: int, last: int, now: datetime) -> None:
    """Called as changes ``first..last`` are published: one pending delivery per active endpoint."""
    hooks = session.scalars(select(Webhook.id).where(Webhook.active)).all()
    if hooks:
        session.execute(
            insert(WebhookDelivery),
            [
                {"webhook_id": hook, "position": position, "state": "pending", "attempts": 0, "next_attempt_at": now}
                for position in range(first, last + 1)
                for hook in hooks
            ],
        )


def deliveries_of(session: Session, member_id: str, webhook_id: int, limit: int = 100) -> list[WebhookDelivery]:
    own_webhook(session, member_id, webhook_id)
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )
