"""One row per state change, written in the same transaction as the change.

The outbox is what later features read: the change feed, webhooks and the
tamper-evident ledger. Payloads carry no personal data: no identifier hashes,
no contact details, only references, codes and counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base, UTCDateTime


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    #: ``subject:action``, e.g. ``member:suspended``, ``entry:listed``.
    tag: Mapped[str] = mapped_column(String(64))
    #: What the event is about, e.g. ``member:acme`` or ``entry:e_01H...``.
    subject: Mapped[str] = mapped_column(String(128))
    #: Who caused it: a member id, ``cli:<user>``, or ``system``.
    actor: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_events_subject_for_history", "subject", "id"),)
