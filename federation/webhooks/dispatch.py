"""Sending due deliveries: signed, one change each, retried with exponential backoff.

Run by ``federation tick``. Each delivery is claimed, sent and recorded in its
own transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two ticks never
send the same one); every attempt lands in the delivery log, whatever came back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..events.feed import Change
from ..members.signing import SigningKeySet
from .models import Webhook, WebhookAttempt, WebhookDelivery
from .signing import HEADER, signature_header

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)
TIMEOUT_SECONDS = 5


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


def deliver_due(
    session: Session,
    key_set: SigningKeySet,
    *,
    now: datetime,
    limit: int = 200,
    post: Callable[..., requests.Response] = requests.post,
) -> DispatchReport:
    due = session.scalars(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.id)
        .limit(limit)
    ).all()
    session.commit()
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    for delivery_id in due:
        outcome = _deliver_one(session, key_set, delivery_id, now=now, post=post)
        if outcome:
            counts[outcome] += 1
        session.commit()
    return DispatchReport(**counts)


def _deliver_one(session: Session, key_set: SigningKeySet, delivery_id: int, *, now: datetime, post) -> str | None:
    delivery = session.scalar(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.state == "pending")
        .with_for_update(skip_locked=True)
    )
    if delivery is None:  # another tick has it, or it is done
        return None
    webhook, change = session.get(Webhook, delivery.webhook_id), session.get(Change, delivery.position)
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
        response = post(webhook.url, data=body, headers=headers, timeout=TIMEOUT_SECONDS, allow_redirects=False)
        status = response.status_code
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    delivery.log.append(
        WebhookAttempt(
            attempted_at=now, status_code=status, error=error, duration_ms=int((time.monotonic() - started) * 1000)
        )
    )
    delivery.attempts += 1
    if status is not None and 200 <= status < 300:
        delivery.state, delivery.delivered_at = "delivered", now
        return "delivered"
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.state = "failed"
        return "failed"
    delivery.next_attempt_at = now + backoff(delivery.attempts)
    return "retrying"
