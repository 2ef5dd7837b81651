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

Most changes are public (every member mirrors them). A change may instead be
*addressed* to one member (``recipient``): a dispute of its own entry, an
answer deadline coming up. Positions stay global, so the order stays gap-free;
a reader's page simply skips what is addressed to others, and webhooks deliver
an addressed change only to its recipient's endpoints.

Consumers (webhooks) subscribe to :data:`published`; the feed never calls them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from blinker import Namespace
from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, event, false, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..database import Base, UTCDateTime
from .models import Event

#: Event tag -> change type. Entry changes are public; dispute changes are addressed to the
#: entry's submitter (``record(..., recipient=)``) and name the dispute, never who filed it.
FEED_TYPES = {
    "entry:listed": "listed",
    "entry:retracted": "retracted",
    "entry:suspended": "suspended",
    "entry:reinstated": "reinstated",
    "entry:delisted": "delisted",
    "entry:expired": "expired",
    "dispute:opened": "dispute_opened",
    "dispute:deadline_near": "dispute_deadline_near",
    # Issue 13: an admin alert, addressed to each admin member (``alerts/service.py``); ``entry`` is empty.
    "alert:notified": "alert_raised",
}
FEED_TAGS = frozenset(FEED_TYPES)
#: Payload keys a member may see; everything else in the event stays internal. ``listed``
#: carries ``category`` and ``tier``; every other entry change ``from``, the state the entry
#: left; dispute changes ``dispute``, ``origin`` and ``respond_by``.
_SHOWN = ("category", "tier", "from", "origin", "respond_by")

#: Sent with ``(session, changes=[{"position", "recipient", ...}], now=)`` as changes are
#: published, inside the committing transaction: subscribers (webhooks) queue their work there.
published = Namespace().signal("changes-published")


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
    #: NULL: public. Otherwise the one member this change is for (its own entry was disputed).
    recipient: Mapped[str | None] = mapped_column(ForeignKey("members.id"), nullable=True)


class ChangeCounter(Base):
    """One row: the last position handed out."""

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_position: Mapped[int] = mapped_column(BigInteger)


def note(session: Session, recorded: Event, recipient: str | None = None) -> None:
    """Called by ``events.service.record``: this event goes to the feed when the transaction commits."""
    if recorded.tag in FEED_TAGS:
        session.info.setdefault("feed_events", []).append((recorded, recipient))


def _row(position: int, recorded: Event, recipient: str | None) -> dict[str, Any]:
    payload = recorded.payload
    data = {key: payload[key] for key in _SHOWN if key in payload}
    if recorded.tag.startswith("dispute:"):  # payload: the dispute's ref and its entry's
        entry, data = payload["entry"], {"dispute": payload["ref"], **data}
    elif recorded.tag.startswith("alert:"):  # the alert's ref and kind; who it is about stays at /v1/alerts
        entry, data = "", {"alert": payload["ref"], "kind": payload["kind"]}
    else:
        entry = payload["ref"]
    return {
        "position": position,
        "event_id": recorded.id,
        "type": FEED_TYPES[recorded.tag],
        "entry": entry,
        "data": data,
        "created_at": recorded.created_at,
        "recipient": recipient,
    }


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
    rows = [_row(first + offset, recorded, recipient) for offset, (recorded, recipient) in enumerate(pending)]
    session.execute(insert(Change), rows)
    published.send(session, changes=rows, now=pending[0][0].created_at)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    if not session.in_transaction():
        session.info.pop("feed_events", None)


def changes_after(
    session: Session, after: int, limit: int, *, reader: str | None = None, public: bool = True
) -> list[Change]:
    """Changes after a position that ``reader`` may see: public ones (if ``public``) and its own."""
    seen = []
    if public:
        seen.append(Change.recipient.is_(None))
    if reader is not None:
        seen.append(Change.recipient == reader)
    query = select(Change).where(Change.position > after, or_(false(), *seen))
    return list(session.scalars(query.order_by(Change.position).limit(limit)))
