"""Members, their registered public keys, and spent client-assertion ids."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base, UTCDateTime

ROLES = ("query", "submit", "review", "admin")
STATUSES = ("pending", "active", "suspended")
KEY_ALGORITHMS = ("EdDSA", "ES256")


class Member(Base):
    """A platform in the federation. Its id (a slug) is its OAuth client id."""

    __tablename__ = "members"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    #: Space-separated, in ``ROLES`` order: also the token's ``scope`` claim.
    roles: Mapped[str] = mapped_column(String(64))
    #: The trust an admin gave the member: the ``base`` of its reputation (``reputation.py``).
    trust_weight: Mapped[float] = mapped_column(Float, default=1.0)
    # -- reputation and probation (issue 13 point 4; ``members/reputation.py``) --
    #: What scoring uses (read by the lookup's matching query): the override if set, else the formula.
    effective_trust: Mapped[float] = mapped_column(Float, default=1.0, server_default="1.0")
    #: When ``federation tick`` last computed the formula, and from what (counts and shares).
    trust_computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    trust_inputs: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: An admin's trust, winning over the formula until removed; the reason is audited in events too.
    trust_override: Mapped[float | None] = mapped_column(Float, nullable=True)
    trust_override_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    trust_override_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: On probation until then (its uncorroborated, unconfirmed listings count as ``review`` at most); NULL: not.
    probation_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # -- end reputation --
    contact: Mapped[str] = mapped_column(String(320), default="")
    #: Identifiers this member may look up per UTC day, set by an admin; NULL: sized from the declared
    #: volume below (``lookups/budget.py``).
    daily_lookup_quota: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Lookups per day the member declared at admission (its expected volume); sizes its budget.
    declared_daily_lookups: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    keys: Mapped[list[MemberKey]] = relationship(back_populates="member", order_by="MemberKey.id")

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'active', 'suspended')", name="status_known"),
        CheckConstraint("trust_weight >= 0 AND trust_weight <= 1", name="trust_weight_0_1"),
        CheckConstraint("effective_trust >= 0 AND effective_trust <= 1", name="effective_trust_0_1"),
        CheckConstraint("trust_override >= 0 AND trust_override <= 1", name="trust_override_0_1"),
    )

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles.split())


class MemberKey(Base):
    """A member's public signing key; the private half never reaches the server."""

    __tablename__ = "member_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kid: Mapped[str] = mapped_column(String(128))
    alg: Mapped[str] = mapped_column(String(16))
    #: The public key as a JWK (no private members), as stored after validation.
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: RFC 7638 thumbprint: the same key cannot be registered twice under two kids.
    thumbprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    member: Mapped[Member] = relationship(back_populates="keys")

    __table_args__ = (
        UniqueConstraint("member_id", "kid"),
        UniqueConstraint("member_id", "thumbprint"),
        CheckConstraint("alg IN ('EdDSA', 'ES256')", name="alg_known"),
    )

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class SpentAssertion(Base):
    """A client-assertion ``jti`` seen before its expiry: seeing it again is a replay.

    The database replay store; Redis replaces it when configured. Rows are
    useless after ``expires_at`` and are pruned by the token endpoint.
    """

    __tablename__ = "spent_assertions"

    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    jti: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_spent_assertions_for_pruning", "expires_at"),)
