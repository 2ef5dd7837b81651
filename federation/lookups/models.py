"""The audit trail of lookups and published joint rules.

Daily usage against budgets is counted in the limits storage (``budget.py``), not here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base, UTCDateTime

BigId = BigInteger().with_variant(Integer, "sqlite")


class LookupRecord(Base):
    """One lookup: who asked, why, how much, what matched. Never the hashes of misses."""

    __tablename__ = "lookup_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    purpose: Mapped[str] = mapped_column(String(32))
    #: The member's own complaint or order id (``references.py``); NULL for lookups made before issue 13.
    reference: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    identifiers: Mapped[int] = mapped_column(Integer)
    hits: Mapped[int] = mapped_column(Integer)
    #: Opaque refs of the entries that matched.
    matched_refs: Mapped[list[str]] = mapped_column(JSON)
    #: Unique per spooled line (``audit.AuditSpool``): ingesting a spool twice adds nothing twice.
    #: NULL for rows written in the lookup's own transaction (no spool configured).
    audit_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)

    __table_args__ = (Index("ix_lookup_records_for_member_stats", "member_id", "created_at"),)


class RuleDocument(Base):
    """A published version of the joint rules (规则公示), in Chinese and English."""

    __tablename__ = "rule_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(32), unique=True)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by: Mapped[str] = mapped_column(String(128))
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_rule_documents_for_current", "effective_at"),)
