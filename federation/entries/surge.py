"""Poisoning caps: a member listing far above its own baseline has the excess held for a reviewer.

One member can otherwise poison the list: mass-listing a competitor's customers counts like any
other listing. A member may list, in any 24 hours, up to ``max(floor, factor x its median daily
listings over the previous history_days days)`` (defaults 200, 5, 30: a new member's cap is the
floor). Every new entry beyond that is accepted as ``held`` with cause ``volume``: it matches
nothing until a reviewer approves it (``holds.py``; its submitter sees only ``hold_reason:
review``, as for any hold), and the first one raises a ``listing_surge`` alert for admins
(``alerts``; one until it is resolved). A listing already held for another reason keeps that
reason, and still counts.

Concurrent submissions by one member are serialised by a lock per member (``locks.hold``) taken
before the count, so two batches cannot both fit under the cap; the count and cap are read once
per transaction (a 1,000-entry batch costs two queries, not 2,000).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, SessionTransaction

from .. import locks
from ..alerts import service as alerts
from .models import Entry, EntryHold
from .rules import SurgeRules

_KEY = "federation.entries.surge"
ACTOR = "system:listing-cap"


def cap(rules: SurgeRules, daily_listings: list[int]) -> int:
    """Listings allowed in 24 h; ``daily_listings``: one count per day of history, zeros included."""
    median = statistics.median(daily_listings) if daily_listings else 0
    return max(rules.floor, math.ceil(rules.factor * median))


@dataclass
class _Budget:
    cap: int
    used: int
    median: float
    alerted: bool = False


def admit(session: Session, entry: Entry, *, rules: SurgeRules, hold: EntryHold | None, now: datetime) -> bool:
    """Count ``entry`` against its member's 24-hour budget; ``True`` if it is excess and must be held."""
    budget = _budget(session, entry.member_id, rules, now)
    budget.used += 1
    if budget.used <= budget.cap or hold is not None:
        return False
    if not budget.alerted:
        budget.alerted = True
        alerts.raise_alert(
            session,
            "listing_surge",
            entry.member_id,
            details={
                "listings_24h": budget.used,
                "cap": budget.cap,
                "median_daily": budget.median,
                "floor": rules.floor,
                "factor": rules.factor,
            },
            actor=ACTOR,
            now=now,
        )
    return True


def _budget(session: Session, member_id: str, rules: SurgeRules, now: datetime) -> _Budget:
    budgets: dict[str, _Budget] = session.info.setdefault(_KEY, {})
    if member_id in budgets:
        return budgets[member_id]
    locks.hold(session, f"listing-volume:{member_id}")
    day_ago = now - timedelta(days=1)
    used = session.scalar(
        select(func.count()).select_from(Entry).where(Entry.member_id == member_id, Entry.created_at > day_ago)
    )
    daily = _daily_listings(session, member_id, day_ago, rules.history_days)
    found = _Budget(cap=cap(rules, daily), used=int(used or 0), median=float(statistics.median(daily)))
    budgets[member_id] = found
    return found


def _daily_listings(session: Session, member_id: str, until: datetime, days: int) -> list[int]:
    """Listings per 24-hour period for the ``days`` periods before ``until``, zeros included."""
    since = until - timedelta(days=days)
    stamps = session.scalars(
        select(Entry.created_at).where(
            Entry.member_id == member_id, Entry.created_at > since, Entry.created_at <= until
        )
    )
    counts = [0] * days
    for stamp in stamps:
        counts[min(int((until - stamp).total_seconds() // 86400), days - 1)] += 1
    return counts


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    """Budgets are read under the transaction's lock: the next transaction reads them again."""
    if transaction.parent is None:
        session.info.pop(_KEY, None)
