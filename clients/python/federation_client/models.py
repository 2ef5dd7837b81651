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
