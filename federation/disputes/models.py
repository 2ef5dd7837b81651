"""Disputes of one entry, and public appeals that open disputes of every entry they match.

A *dispute* is the unit of due process: one entry, one challenge, one clock.
Members file them directly; an *appeal* from a listed person opens one per
matching entry. Both then run the same course (``service.py``): the
submitter answers, a reviewer decides, deadlines move things along.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base, UTCDateTime
from ..entries.models import BigId, Entry

#: ``awaiting_answer``: the submitter must answer by ``respond_by``; ``awaiting_review``: a
#: reviewer must decide by ``decide_by``; ``closed``: decided, or settled by a retraction.
DISPUTE_STATES = ("awaiting_answer", "awaiting_review", "closed")
#: What the submitter may answer: keep the listing (with evidence) or withdraw it.
ANSWERS = ("uphold", "retract")
#: Outcomes. ``upheld``: the challenge succeeds and the entry is delisted; ``rejected``: the
#: listing stands; ``retracted``: the submitter withdrew it; ``moot``: the entry ended otherwise.
OUTCOMES = ("upheld", "rejected", "retracted", "moot")
#: Who closed a dispute, by its outcome: what the parties are told instead of an id, which
#: could name the other party (a ``retract`` is the submitter's act).
DECIDER_ROLES = {"upheld": "reviewer", "rejected": "reviewer", "retracted": "submitter", "moot": "system"}

APPEAL_STATES = ("received", "under_review", "upheld", "rejected", "closed_no_match")
APPEAL_OPEN_STATES = ("received", "under_review")


class Appeal(Base):
    """A listed person's request to be delisted, filed without credentials."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: Public id (``A`` + base32); with the status token it opens the status page.
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    #: SHA-256 of the status token: the token itself is shown once, to the appellant.
    token_hash: Mapped[str] = mapped_column(String(64))
    #: How many times a new status code was sent to the contact (``status_codes.py``); a retried
    #: filing hands back the code of this generation.
    token_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Keyed hash of the client's ``Idempotency-Key`` (or the page's nonce) with the appeal's content:
    #: a retry after a lost answer finds this appeal again. NULL when the client sent no key.
    idempotency_tag: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    #: The case a reviewer decides: the ``ref`` of its first appeal. Appeals about the same
    #: identifier while one is open join its case (``cases.py``); every one gets the decision.
    case_ref: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    statement: Mapped[str] = mapped_column(Text)
    #: Encrypted contact address (``contact.py``); erased (NULL) when the appeal closes.
    contact_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: Keyed hash of the client address, for rate limits; never the address itself.
    client_tag: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decide_by: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: When the statement, identifier hashes and address tag were erased (``retention.py``).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    identifiers: Mapped[list[AppealIdentifier]] = relationship(
        back_populates="appeal", cascade="all, delete-orphan", order_by="AppealIdentifier.id"
    )
    disputes: Mapped[list[Dispute]] = relationship(back_populates="appeal", order_by="Dispute.id")

    __table_args__ = (
        CheckConstraint(
            "state IN ('received', 'under_review', 'upheld', 'rejected', 'closed_no_match')", name="state_known"
        ),
        Index("ix_appeals_for_rate_limit", "client_tag", "created_at"),
        Index("ix_appeals_for_queue", "state", "id"),
        Index("ix_appeals_for_case", "case_ref", "state"),
    )


class AppealCodeRequest(Base):
    """One request for a new status code, kept a day for the rate limits whether or not the appeal exists."""

    __tablename__ = "appeal_code_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: The appeal number as asked for (it may name no appeal: counting it must not tell).
    ref: Mapped[str] = mapped_column(String(32))
    client_tag: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_appeal_code_requests_for_client", "client_tag", "created_at"),
        Index("ix_appeal_code_requests_for_ref", "ref", "created_at"),
    )


class AppealIdentifier(Base):
    """One identifier of an appeal, keyed-hashed twice over; the raw value was discarded.

    ``tag`` is the same for one identifier whatever the salt (it enforces one open
    appeal per identifier and the repeat rule); ``stored_hashes`` are the entry-side
    hashes under every salt key id, for matching.
    """

    __tablename__ = "appeal_identifiers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(16))
    tag: Mapped[str] = mapped_column(String(64))
    stored_hashes: Mapped[list[str]] = mapped_column(JSON)

    appeal: Mapped[Appeal] = relationship(back_populates="identifiers")

    __table_args__ = (Index("ix_appeal_identifiers_for_tag", "tag", "appeal_id"),)


class Dispute(Base):
    """One challenge to one entry, by a member or through an appeal."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    #: The member that filed it; NULL for a dispute opened by an appeal.
    filed_by: Mapped[str | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id"), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    respond_by: Mapped[datetime] = mapped_column(UTCDateTime())
    decide_by: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(String(16), nullable=True)
    answer_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    answer_evidence: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Set when the answer deadline passed unanswered and the entry was suspended for it.
    suspended_entry_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: When the submitter was told its answer deadline is near (``federation tick``, once).
    deadline_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Why a reviewer decided before the submitter answered or its deadline passed; NULL otherwise.
    expedite_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    entry: Mapped[Entry] = relationship()
    appeal: Mapped[Appeal | None] = relationship(back_populates="disputes")

    __table_args__ = (
        CheckConstraint("state IN ('awaiting_answer', 'awaiting_review', 'closed')", name="state_known"),
        Index("ix_disputes_for_entry", "entry_id", "state"),
        Index("ix_disputes_for_deadlines", "state", "respond_by"),
        Index("ix_disputes_for_filer", "filed_by", "id"),
        #: One open dispute per member and entry, whatever races (``service.file_dispute``). Appeal
        #: disputes have no ``filed_by``: NULLs never collide.
        Index(
            "uq_disputes_open_per_filer",
            "entry_id",
            "filed_by",
            unique=True,
            sqlite_where=text("state <> 'closed'"),
            postgresql_where=text("state <> 'closed'"),
        ),
    )
