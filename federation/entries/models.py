"""Entries, their (peppered) identifiers and their evidence chain."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base, UTCDateTime

CATEGORIES = (
    "refund_after_use",
    "false_non_delivery_claim",
    "extortion",
    "bulk_fake_reports",
    "rule_abuse",
    "chargeback_fraud",
    "other",
)
EVIDENCE_KINDS = (
    "delivery_screenshot",
    "chat_log",
    "logistics_record",
    "redemption_record",
    "payment_record",
    "id_video",
    "other",
)
#: ``active`` matches; ``held`` (accepted, waiting for a reviewer: ``holds.py``), ``suspended`` (a
#: dispute went unanswered) and the end states do not. ``rejected``: a held listing a reviewer refused.
STATES = ("active", "held", "suspended", "retracted", "delisted", "expired", "rejected")
BigId = BigInteger().with_variant(Integer, "sqlite")


class Entry(Base):
    """One confirmed case against one person, as listed by one member."""

    __tablename__ = "entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: Opaque public reference; the only id members and the change feed ever see.
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    #: The member's own case id; NULL when the client used an Idempotency-Key instead.
    case_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    #: SHA-256 of the canonical submission: tells a re-send from a conflicting one.
    content_hash: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    tier: Mapped[int] = mapped_column(SmallInteger)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 4), nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16))
    #: Disputes not yet decided; a disputed entry still matches but weighs less.
    open_disputes: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    ai_score: Mapped[float] = mapped_column(Float)
    ai_model: Mapped[str] = mapped_column(String(100))
    human_reviewer: Mapped[str] = mapped_column(String(64))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When the federation published it: at submission, or when a reviewer approved its hold (NULL
    #: while held). Members read it as ``reported_at``; the ladder's freeze counts from it.
    listed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    #: When a reviewer of another member confirmed it: a probation member's listing then counts in
    #: full (``members/reputation.py``, issue 13 point 4). NULL: not confirmed.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: When the identifier hashes were deleted (data minimisation); history stays.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    identifiers: Mapped[list[EntryIdentifier]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="EntryIdentifier.position"
    )
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="Evidence.position"
    )

    __table_args__ = (
        UniqueConstraint("member_id", "case_ref"),
        UniqueConstraint("member_id", "idempotency_key"),
        CheckConstraint("tier IN (1, 2, 3)", name="tier_known"),
        CheckConstraint(
            "state IN ('active', 'held', 'suspended', 'retracted', 'delisted', 'expired', 'rejected')",
            name="state_known",
        ),
        CheckConstraint("ai_score >= 0 AND ai_score <= 1", name="ai_score_0_1"),
        Index("ix_entries_for_member_listing", "member_id", "id"),
        Index("ix_entries_for_listing_volume", "member_id", "created_at"),  # issue 13: surge.py's count
        Index("ix_entries_for_expiry", "state", "expires_at"),
    )


class EntryIdentifier(Base):
    """One identifier of an entry, stored only as its peppered hash."""

    __tablename__ = "entry_identifiers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    type: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[str] = mapped_column(String(32))
    #: ``HMAC(pepper, key_id NUL type NUL member_hash)``: 32 bytes.
    stored_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    #: Warninglists (issue 13): the ``downweight`` list this identifier is on, or the ``refuse``
    #: list imported after it was listed; lookups weigh its matches by that list's weight.
    warninglist_id: Mapped[int | None] = mapped_column(
        ForeignKey("warninglists.id", ondelete="SET NULL"), nullable=True
    )
    #: Protective registration (``protective/flags.py``): until then the identifier belongs to an
    #: identity-theft victim and draws at most ``review``. Read by the one matching query; NULL: none.
    protected_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    entry: Mapped[Entry] = relationship(back_populates="identifiers")

    __table_args__ = (
        Index("ix_entry_identifiers_for_lookup", "stored_hash", "entry_id"),
        Index("ix_entry_identifiers_for_entry", "entry_id"),
        Index("ix_entry_identifiers_for_warninglist", "warninglist_id"),
    )


class Evidence(Base):
    """A digest of one piece of proof; the file itself stays with the member."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uri: Mapped[str | None] = mapped_column(String(2048), nullable=True)

    entry: Mapped[Entry] = relationship(back_populates="evidence")

    __table_args__ = (Index("ix_evidence_for_entry", "entry_id"),)


class ReinsertionGuard(Base):
    """An overturned listing: for the guard period, a new listing of the same person is held for review.

    Created in the transaction that upholds a dispute or appeal (or in which the submitter concedes
    one), before the entry's own hashes are deleted; it keeps its own copy of them
    (:class:`ReinsertionGuardHash`) until ``federation tick`` purges them when the period ends. The
    case itself (references and evidence digests, no personal data) stays as history.
    """

    __tablename__ = "reinsertion_guards"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: The overturned entry.
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    #: ``upheld`` (a reviewer delisted it) or ``retracted`` (its submitter conceded a dispute).
    cause: Mapped[str] = mapped_column(String(16))
    #: The dispute and appeal that overturned it, by public reference (the entries layer knows no disputes).
    dispute_ref: Mapped[str | None] = mapped_column(String(32), nullable=True)
    appeal_ref: Mapped[str | None] = mapped_column(String(32), nullable=True)
    #: SHA-256 digests of every piece of evidence seen in the overturned case.
    seen_evidence: Mapped[list[str]] = mapped_column(JSON)
    #: Members that were parties to the overturned case (the listing member, the disputing member):
    #: none of their reviewers decides a re-listing it holds (``holds.py``).
    parties: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When the guard period ended and its hashes were deleted.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    entry: Mapped[Entry] = relationship()
    hashes: Mapped[list[ReinsertionGuardHash]] = relationship(back_populates="guard", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("cause IN ('upheld', 'retracted')", name="cause_known"),
        Index("ix_reinsertion_guards_for_purge", "purged_at", "created_at"),
    )


class ReinsertionGuardHash(Base):
    """One stored hash a guard watches: the overturned entry's, or an upheld appeal's under every salt."""

    __tablename__ = "reinsertion_guard_hashes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    guard_id: Mapped[int] = mapped_column(ForeignKey("reinsertion_guards.id", ondelete="CASCADE"))
    stored_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    #: The salt key id of an overturned entry's hash; NULL for an appellant's hashes (made under
    #: every salt accepted when the appeal was filed). Salt retirement reads it (``salt_rotation``).
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)

    guard: Mapped[ReinsertionGuard] = relationship(back_populates="hashes")

    __table_args__ = (
        Index("ix_reinsertion_guard_hashes_for_submission", "stored_hash", "guard_id"),
        Index("ix_reinsertion_guard_hashes_for_guard", "guard_id"),
    )


class EntryHold(Base):
    """Why an entry is ``held`` and what a reviewer decided; the submitter sees only ``hold_reason: review``."""

    __tablename__ = "entry_holds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), unique=True)
    #: Internal cause: ``reinsertion``, ``sample`` or ``volume`` (a listing beyond the member's cap, ``surge.py``).
    cause: Mapped[str] = mapped_column(String(32))
    #: ``pending``, ``approved`` or ``rejected``.
    state: Mapped[str] = mapped_column(String(16))
    #: Ids of the reinsertion guards the listing hit.
    guard_ids: Mapped[list[int]] = mapped_column(JSON)
    #: Digests of the listing's evidence not seen in any overturned case it hit.
    new_evidence: Mapped[list[str]] = mapped_column(JSON)
    certified: Mapped[bool] = mapped_column(Boolean)
    certification: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    entry: Mapped[Entry] = relationship()

    __table_args__ = (
        CheckConstraint("state IN ('pending', 'approved', 'rejected')", name="state_known"),
        Index("ix_entry_holds_for_queue", "state", "id"),
    )
