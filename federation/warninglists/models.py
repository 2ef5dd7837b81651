"""Warninglists and the stored-hash form of their values (never the values themselves)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base, UTCDateTime
from ..entries.models import BigId


class Warninglist(Base):
    """One imported MISP warninglist: what it is, what it does, how much of it could be hashed."""

    __tablename__ = "warninglists"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    version: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    #: MISP ``type``: ``string``, ``hostname`` or ``cidr``.
    kind: Mapped[str] = mapped_column(String(16))
    #: ``refuse``: a matching listing is a 422. ``downweight``: accepted, its matches weigh ``weight``.
    action: Mapped[str] = mapped_column(String(16))
    #: What a match through a marked identifier counts (0 for a ``refuse`` list's earlier listings).
    weight: Mapped[float] = mapped_column(Float)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Identifier types the list's values were read as.
    types: Mapped[list[str]] = mapped_column(JSON)
    #: Values in the document, values hashed (``(type, value)`` pairs), values that could not be.
    listed_values: Mapped[int] = mapped_column(Integer)
    hashed_values: Mapped[int] = mapped_column(Integer)
    skipped_values: Mapped[int] = mapped_column(Integer)
    #: Salt key ids its hashes are under; ``cover_salts`` keeps it equal to the accepted ones.
    key_ids: Mapped[list[str]] = mapped_column(JSON)
    #: SHA-256 of the imported document (kept on disk, ``store.py``, to hash under later salts).
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    hashes: Mapped[list[WarninglistHash]] = relationship(
        back_populates="warninglist", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        CheckConstraint("action IN ('refuse', 'downweight')", name="action_known"),
        CheckConstraint("weight >= 0 AND weight <= 1", name="weight_0_1"),
    )


class WarninglistHash(Base):
    """A value of a list in the form entries store it: ``HMAC(pepper, key_id NUL type NUL member_hash)``."""

    __tablename__ = "warninglist_hashes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    warninglist_id: Mapped[int] = mapped_column(ForeignKey("warninglists.id", ondelete="CASCADE"))
    key_id: Mapped[str] = mapped_column(String(32))
    stored_hash: Mapped[bytes] = mapped_column(LargeBinary(32))

    warninglist: Mapped[Warninglist] = relationship(back_populates="hashes")

    __table_args__ = (
        Index("ix_warninglist_hashes_for_submission", "stored_hash", "warninglist_id"),
        Index("ix_warninglist_hashes_for_salt", "warninglist_id", "key_id"),
    )
