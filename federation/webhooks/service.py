"""Registering endpoints, queueing one delivery per change, reading the delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..errors import NotFound, ValidationFailed, field_error
from ..events.feed import published
from ..events.service import record
from ..members.models import Member
from .destinations import Transport, UnsafeDestination

if TYPE_CHECKING:
    from flask import Flask
from .models import Webhook, WebhookDelivery


def add_webhook(
    session: Session,
    member_id: str,
    url: str,
    *,
    now: datetime,
    allow_insecure: bool,
    transport: Transport | None = None,
) -> Webhook:
    """Register an endpoint whose host resolves to public addresses only (checked again at each delivery)."""
    transport = transport or Transport()
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_insecure else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise ValidationFailed(
            "A webhook URL is an absolute https:// URL.", errors=[field_error("/url", "An absolute https:// URL.")]
        )
    try:
        transport.check(url)
    except UnsafeDestination as refused:
        raise ValidationFailed(
            "A webhook URL must resolve to public internet addresses only.",
            errors=[field_error("/url", str(refused), code=f"url.{refused.category}")],
        ) from None
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


def queue_deliveries(session: Session, *, changes: list[dict[str, Any]], now: datetime) -> None:
    """One pending delivery per published change and endpoint allowed to see it.

    Subscribed to ``events.feed.published`` (the feed does not know its consumers). Public
    changes go to the endpoints of members holding the ``query`` role, as ``GET /v1/changes``
    shows them; a change addressed to a member goes to that member's endpoints only. Nothing is
    queued for a suspended member: it catches up through the feed once reinstated.
    """
    hooks = session.execute(
        select(Webhook.id, Webhook.member_id, Member.roles)
        .join(Member, Member.id == Webhook.member_id)
        .where(Webhook.active, Member.status == "active")  # a suspended member receives nothing
        .order_by(Webhook.id)
    ).all()
    rows = [
        {
            "webhook_id": hook.id,
            "position": change["position"],
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
        }
        for change in changes
        for hook in hooks
        if (hook.member_id == change["recipient"] if change["recipient"] else "query" in hook.roles.split())
    ]
    if rows:
        session.execute(insert(WebhookDelivery), rows)


def init_webhooks(app: Flask) -> None:
    """Webhooks follow the change feed: queue deliveries as its changes are published."""
    published.connect(queue_deliveries, weak=False)


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
