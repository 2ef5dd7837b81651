"""Sending due deliveries: signed, one change each, retried with exponential backoff.

Run by ``federation tick``. Each delivery is claimed, sent and recorded in its
own transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two ticks never
send the same one); every attempt lands in the delivery log, whatever came back,
as a status code or a failure category (never an exception's text). Endpoints
share a tick fairly (``due_deliveries``), and each URL is resolved and checked
again right before sending (``destinations``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..events.feed import Change
from ..members.models import Member
from ..members.signing import SigningKeySet
from .destinations import Transport, UnsafeDestination
from .models import Webhook, WebhookAttempt, WebhookDelivery
from .signing import HEADER, signature_header

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)
#: Deliveries per endpoint per tick: a failing or flooded endpoint leaves the rest of the 200 slots to others.
PER_WEBHOOK_PER_TICK = 20


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... doubling after each failure, at most 6 h."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_WAIT)


def change_body(change: Change) -> bytes:
    """The same shape as an item of ``GET /v1/changes``."""
    return orjson.dumps(
        {
            "position": change.position,
            "type": change.type,
            "entry": change.entry,
            "data": change.data,
            "at": change.created_at.isoformat(),
        }
    )


@dataclass(frozen=True, slots=True)
class DispatchReport:
    delivered: int
    retrying: int
    failed: int


def due_deliveries(session: Session, *, now: datetime, limit: int, per_webhook: int) -> list[int]:
    """Due deliveries, at most ``per_webhook`` per endpoint, taken round-robin across endpoints.

    One endpoint that fails (or has a backlog) used to fill all ``limit`` slots of a tick and
    starve every other member; now each endpoint's oldest ``per_webhook`` come first in turn.
    Only active endpoints of active members: a suspended member receives nothing.
    """
    turn = func.row_number().over(partition_by=WebhookDelivery.webhook_id, order_by=WebhookDelivery.id).label("turn")
    ranked = (
        select(WebhookDelivery.id, WebhookDelivery.webhook_id, turn)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .join(Member, Member.id == Webhook.member_id)
        .where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= now)
        .where(Webhook.active, Member.status == "active")
        .subquery()
    )
    return list(
        session.scalars(
            select(ranked.c.id)
            .where(ranked.c.turn <= per_webhook)
            .order_by(ranked.c.turn, ranked.c.webhook_id)
            .limit(limit)
        )
    )


def deliver_due(
    session: Session,
    key_set: SigningKeySet,
    *,
    now: datetime,
    transport: Transport | None = None,
    limit: int = 200,
    per_webhook: int = PER_WEBHOOK_PER_TICK,
) -> DispatchReport:
    """Send what is due. After a failure, an endpoint gets no more tries this tick (the rest wait)."""
    transport = transport or Transport()
    due = due_deliveries(session, now=now, limit=limit, per_webhook=per_webhook)
    session.commit()
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    failing: set[int] = set()
    for delivery_id in due:
        outcome = _deliver_one(session, key_set, delivery_id, now=now, transport=transport, skip=failing)
        if outcome:
            counts[outcome] += 1
        session.commit()
    return DispatchReport(**counts)


def _deliver_one(
    session: Session, key_set: SigningKeySet, delivery_id: int, *, now: datetime, transport: Transport, skip: set[int]
) -> str | None:
    delivery = session.scalar(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.state == "pending")
        .with_for_update(skip_locked=True)
    )
    if delivery is None or delivery.webhook_id in skip:  # another tick has it, it is done, or its endpoint failed
        return None
    webhook, change = session.get(Webhook, delivery.webhook_id), session.get(Change, delivery.position)
    member = session.get(Member, webhook.member_id)
    if not webhook.active or member is None or member.status != "active":  # suspended since the query
        return None
    body = change_body(change)
    key = key_set.current
    headers = {
        "Content-Type": "application/json",
        HEADER: signature_header(key.private_key, key.kid, body, int(time.time())),
        "Federation-Delivery": str(delivery.id),
    }
    started = time.monotonic()
    status, error = None, None
    try:
        status = transport.post(webhook.url, body, headers)
    except UnsafeDestination as failure:
        error = failure.category
    if status is not None and not 200 <= status < 300:
        error = f"http_{status}"
    delivery.log.append(
        WebhookAttempt(
            attempted_at=now, status_code=status, error=error, duration_ms=int((time.monotonic() - started) * 1000)
        )
    )
    delivery.attempts += 1
    if error is None:
        delivery.state, delivery.delivered_at = "delivered", now
        return "delivered"
    skip.add(delivery.webhook_id)
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.state = "failed"
        return "failed"
    delivery.next_attempt_at = now + backoff(delivery.attempts)
    return "retrying"
