"""The change feed: what members must know about entries, in one gap-free order.

Members mirror decisions (a delisting, a suspension) through ``GET /v1/changes``
and webhooks. A reader that resumes "after position N" must never skip a
change, so positions are handed out in *commit* order, not insert order: an
event id taken early by a transaction that commits late would otherwise
appear behind a cursor that has already moved past it (PostgreSQL sequences
do exactly that under concurrent writes).

How: each transaction that recorded feed events takes its positions at the
very end, just before commit, from one counter row. The row stays locked until
the commit, so the next writer waits and gets the positions after it; and the
lock is held only for the commit itself, not the whole transaction. On SQLite
the database's single write lock gives the same order.

Changes carry opaque entry references and what a member needs to act
(category, tier, the state it left); never identifier hashes, never the
reporting member: the feed cannot rebuild the list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, event, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..database import Base, UTCDateTime
from .models import Event

FEED_TAGS = frozenset(
    {"entry:listed", "entry:retracted", "entry:suspended", "entry:reinstated", "entry:delisted", "entry:expired"}
)
#: Payload keys a member may see; everything else in the event stays internal. ``listed``
#: carries ``category`` and ``tier``; every other change ``from``, the state the entry left.
_SHOWN = ("category", "tier", "from")


class Change(Base):
    __tablename__ = "changes"

    position: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    type: Mapped[str] = mapped_column(String(32))
    entry: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChangeCounter(Base):
    """One row: the last position handed out."""

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_position: Mapped[int] = mapped_column(BigInteger)


def note(session: Session, recorded: Event) -> None:
    """Called by ``events.service.record``: this event goes to the feed when the transaction commits."""
    if recorded.tag in FEED_TAGS:
        session.info.setdefault("feed_events", []).append(recorded)


def _claim(session: Session, count: int) -> int:
    """Reserve ``count`` positions; returns the last. Locks the counter row until commit."""
    dialect = session.get_bind().dialect.name
    upsert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(ChangeCounter).values(
        id=1, last_position=count
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=[ChangeCounter.id], set_={"last_position": ChangeCounter.last_position + count}
    ).returning(ChangeCounter.last_position)
    return session.execute(upsert).scalar_one()


@event.listens_for(Session, "before_commit")
def _publish(session: Session) -> None:
    pending = session.info.pop("feed_events", None)
    if not pending:
        return
    session.flush()  # event ids
    last = _claim(session, len(pending))
    first = last - len(pending) + 1
    session.execute(
        insert(Change),
        [
            {
                "position": first + offset,
                "event_id": recorded.id,
                "type": recorded.tag.partition(":")[2],
                "entry": recorded.payload["ref"],
                "data": {key: recorded.payload[key] for key in _SHOWN if key in recorded.payload},
                "created_at": recorded.created_at,
            }
            for offset, recorded in enumerate(pending)
        ],
    )
    from ..webhooks.service import queue_deliveries  # webhooks build on the feed

    queue_deliveries(session, first, last, pending[0].created_at)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    if not session.in_transaction():
        session.info.pop("feed_events", None)


def changes_after(session: Session, after: int, limit: int) -> list[Change]:
    return list(session.scalars(select(Change).where(Change.position > after).order_by(Change.position).limit(limit)))
