"""Protective registrations: innocent-party flags on identifiers, kept as stored hashes only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base, UTCDateTime
from ..entries.models import BigId

#: Why a person's identifier is protected: all of them say "someone else used it".
REASONS = ("identity_theft", "sim_swap", "account_takeover", "forged_documents", "other")
#: ``member``: a member registered its own customer; ``appeal``: a reviewer, after an appeal.
SOURCES = ("member", "appeal")
STATES = ("active", "withdrawn")


class ProtectiveRegistration(Base):
    """One person's innocent-party flag: the identifiers someone else used, by stored hash."""

    __tablename__ = "protective_registrations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: Opaque public reference (``P`` + base32): the registering member and reviewers use it.
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    #: The registering member (``source='member'``); NULL for a reviewer's registration.
    member_id: Mapped[str | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    #: The member's own case id: a re-sent registration finds this one again.
    case_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    #: The appeal a reviewer registered from (``source='appeal'``).
    appeal_ref: Mapped[str | None] = mapped_column(String(32), nullable=True)
    #: Identifier types covered (no values): what a reviewer reads in the queue.
    types: Mapped[list[str]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(32))
    #: SHA-256 digests of the proof of identity theft (police report, carrier record); files stay with the holder.
    evidence: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The flag holds until then (the review date): a member's until a reviewer confirms it, then longer.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdraw_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: When ``federation tick`` deleted its hashes (withdrawn or past its review date): history only.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    hashes: Mapped[list[ProtectiveRegistrationHash]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="ProtectiveRegistrationHash.id"
    )

    __table_args__ = (
        CheckConstraint("source IN ('member', 'appeal')", name="source_known"),
        CheckConstraint("state IN ('active', 'withdrawn')", name="state_known"),
        UniqueConstraint("member_id", "case_ref"),
        Index("ix_protective_registrations_for_queue", "state", "confirmed_at", "id"),
    )


class ProtectiveRegistrationHash(Base):
    """One stored hash of a protected identifier, under one salt (``key_id`` NULL: from an appeal)."""

    __tablename__ = "protective_registration_hashes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("protective_registrations.id", ondelete="CASCADE"))
    stored_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)

    registration: Mapped[ProtectiveRegistration] = relationship(back_populates="hashes")

    __table_args__ = (
        Index("ix_protective_registration_hashes_for_flagging", "stored_hash", "registration_id"),
        Index("ix_protective_registration_hashes_for_registration", "registration_id"),
    )
