"""Frozen records built from server responses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    display_name: str
    status: str
    roles: tuple[str, ...]
    trust_weight: float
    contact: str
    created_at: datetime | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Member:
        return cls(
            id=data["id"],
            display_name=data["display_name"],
            status=data["status"],
            roles=tuple(data["roles"]),
            trust_weight=float(data["trust_weight"]),
            contact=data.get("contact", ""),
            created_at=_time(data.get("created_at")),
        )


@dataclass(frozen=True, slots=True)
class Key:
    kid: str
    alg: str
    thumbprint: str
    active: bool
    created_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Key:
        return cls(
            kid=data["kid"],
            alg=data["alg"],
            thumbprint=data["thumbprint"],
            active=bool(data["active"]),
            created_at=_time(data.get("created_at")),
            revoked_at=_time(data.get("revoked_at")),
        )


@dataclass(frozen=True, slots=True)
class Entry:
    """One of your entries as the server holds it (identifier types only, no hashes)."""

    ref: str
    case_ref: str | None
    category: str
    tier: int
    state: str
    amount: str | None
    currency: str | None
    occurred_at: datetime | None
    expires_at: datetime | None
    identifier_types: tuple[str, ...]
    evidence_count: int
    created_at: datetime | None
    end_reason: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entry:
        amount = data.get("amount") or {}
        return cls(
            ref=data["ref"],
            case_ref=data.get("case_ref"),
            category=data["category"],
            tier=int(data["tier"]),
            state=data["state"],
            amount=amount.get("value"),
            currency=amount.get("currency"),
            occurred_at=_time(data.get("occurred_at")),
            expires_at=_time(data.get("expires_at")),
            identifier_types=tuple(item["type"] for item in data.get("identifiers", [])),
            evidence_count=len(data.get("evidence", [])),
            created_at=_time(data.get("created_at")),
            end_reason=data.get("end_reason"),
        )


@dataclass(frozen=True, slots=True)
class BatchItem:
    index: int
    status: str
    entry: Entry | None
    code: str | None
    errors: tuple[dict[str, Any], ...]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchItem:
        return cls(
            index=data["index"],
            status=data["status"],
            entry=Entry.from_dict(data["entry"]) if data.get("entry") else None,
            code=data.get("code"),
            errors=tuple(data.get("errors") or ()),
        )
