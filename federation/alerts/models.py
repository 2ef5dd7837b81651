"""An alert for admins: what kind, about which member, the figures that raised it, and who worked it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base, UTCDateTime

KINDS = ("lookup_sweep", "listing_surge")
STATES = ("open", "acknowledged", "resolved")


class Alert(Base):
    """One alert per member and kind until it is resolved (``service.raise_alert``).

    ``details`` holds counts and thresholds only: never a hash, an identifier or a raw address.
    """

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    #: Opaque public reference (``AL`` + 16 base32 characters).
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    state: Mapped[str] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: How many more times the same condition was seen while this alert was unresolved.
    repeats: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acknowledge_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolve_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        CheckConstraint("state IN ('open', 'acknowledged', 'resolved')", name="state_known"),
        Index("ix_alerts_for_queue", "state", "id"),
        Index("ix_alerts_for_member_and_kind", "member_id", "kind", "state"),
    )
