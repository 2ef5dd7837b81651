"""Expiry by tier, and deleting the identifier hashes of ended entries (data minimisation)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..events.service import record
from .models import Entry, EntryIdentifier
from .service import ENDED_STATES, end_listing, end_tag


@dataclass(frozen=True, slots=True)
class PurgeReport:
    expired: int
    purged: int


def purge(session: Session, *, now: datetime, actor: str = "system:purge") -> PurgeReport:
    """Expire entries past their term, then delete the identifier hashes of every ended entry.

    Evidence digests and the event history stay: they identify no one, and due
    process may still need them.
    """
    expiring = list(
        session.scalars(select(Entry).where(Entry.state.in_(("active", "held", "suspended")), Entry.expires_at <= now))
    )
    for entry in expiring:
        previous = entry.state
        end_listing(entry, "expired", reason="term ended", now=now)
        record(
            session,
            end_tag(previous, "expired"),
            f"entry:{entry.ref}",
            actor=actor,
            now=now,
            payload={"ref": entry.ref, "from": previous},
        )
    session.flush()
    ended = list(
        session.execute(select(Entry.id, Entry.ref).where(Entry.state.in_(ENDED_STATES), Entry.purged_at.is_(None)))
    )
    ids = [row.id for row in ended]
    purge_identifiers(session, ids, now)
    for row in ended:
        record(session, "entry:purged", f"entry:{row.ref}", actor=actor, now=now, payload={"ref": row.ref})
    session.flush()
    return PurgeReport(expired=len(expiring), purged=len(ids))


def purge_identifiers(session: Session, entry_ids: list[int], now: datetime) -> None:
    """Delete the identifier hashes of ended entries (data minimisation); the entries and history stay."""
    for chunk in _chunks(entry_ids, 500):
        session.execute(delete(EntryIdentifier).where(EntryIdentifier.entry_id.in_(chunk)))
        session.execute(update(Entry).where(Entry.id.in_(chunk)).values(purged_at=now))


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
