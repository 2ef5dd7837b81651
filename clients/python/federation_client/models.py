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
    #: Effective trust, its inputs and probation (docs/scoring.md); shown for one member, not in lists.
    standing: dict[str, Any] | None = None

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
            standing=data.get("standing"),
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
    #: ``"review"`` while the entry is ``held`` (accepted, matching nothing until a reviewer approves it).
    hold_reason: str | None = None

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
            hold_reason=data.get("hold_reason"),
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


@dataclass(frozen=True, slots=True)
class RekeyResult:
    """What re-keying did to one entry: ``rekeyed``, ``unchanged``, ``not_found`` or ``ended``."""

    ref: str
    status: str
    added: int
    #: Identifiers sent for this entry that match none it holds (not added).
    unmatched: tuple[int, ...]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RekeyResult:
        return cls(data["ref"], data["status"], int(data.get("added", 0)), tuple(data.get("unmatched") or ()))


@dataclass(frozen=True, slots=True)
class Action:
    """The recommended action and the ladder rule that produced it."""

    action: str
    rule: str
    strikes: int
    total_amount: dict[str, str]
    freeze_until: datetime | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Action:
        return cls(
            action=data["action"],
            rule=data["rule"],
            strikes=int(data["strikes"]),
            total_amount=dict(data.get("total_amount") or {}),
            freeze_until=_time(data.get("freeze_until")),
        )


ACCEPT = Action(action="accept", rule="no_match", strikes=0, total_amount={}, freeze_until=None)


@dataclass(frozen=True, slots=True)
class IdentifierResult:
    index: int
    type: str
    matched: bool
    confidence: float
    reporting_members: int
    matches: tuple[dict[str, Any], ...]
    factors: dict[str, Any]
    recommended_action: Action
    #: An identity-theft victim's identifier: the server never recommends more than review on it alone.
    protective_registration: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IdentifierResult:
        action = data.get("recommended_action")
        return cls(
            index=data["index"],
            type=data["type"],
            matched=bool(data["matched"]),
            confidence=float(data["confidence"]),
            reporting_members=int(data.get("reporting_members", 0)),
            matches=tuple(data.get("matches") or ()),
            factors=dict(data.get("factors") or {}),
            recommended_action=Action.from_dict(action) if action else ACCEPT,
            protective_registration=bool(data.get("protective_registration", False)),
        )


@dataclass(frozen=True, slots=True)
class SubjectResult:
    subject: str
    confidence: float
    matched_entries: int
    reporting_members: int
    factors: dict[str, Any]
    recommended_action: Action
    #: One of the subject's identifiers is under protective registration (docs/disputes.md).
    protective_registration: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubjectResult:
        return cls(
            subject=data["subject"],
            confidence=float(data["confidence"]),
            matched_entries=int(data["matched_entries"]),
            reporting_members=int(data["reporting_members"]),
            factors=dict(data["factors"]),
            recommended_action=Action.from_dict(data["recommended_action"]),
            protective_registration=bool(data.get("protective_registration", False)),
        )


@dataclass(frozen=True, slots=True)
class LookupResult:
    hits: int
    identifiers: tuple[IdentifierResult, ...]
    subjects: dict[str, SubjectResult]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LookupResult:
        return cls(
            hits=int(data["hits"]),
            identifiers=tuple(IdentifierResult.from_dict(item) for item in data["identifiers"]),
            subjects={item["subject"]: SubjectResult.from_dict(item) for item in data["subjects"]},
        )


@dataclass(frozen=True, slots=True)
class Change:
    """One item of the change feed: what happened to which entry (by opaque ref)."""

    position: int
    type: str
    entry: str
    data: dict[str, Any]
    at: datetime | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Change:
        return cls(data["position"], data["type"], data["entry"], dict(data.get("data") or {}), _time(data.get("at")))


@dataclass(frozen=True, slots=True)
class Dispute:
    ref: str
    entry: str
    origin: str
    state: str
    reason: str
    respond_by: datetime | None
    decide_by: datetime | None
    answer: str | None
    outcome: str | None
    decision_reason: str | None
    #: ``submitter``, ``reviewer`` or ``system``: never an id, which could name the other party.
    decided_by_role: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Dispute:
        return cls(
            ref=data["ref"],
            entry=data["entry"],
            origin=data["origin"],
            state=data["state"],
            reason=data["reason"],
            respond_by=_time(data.get("respond_by")),
            decide_by=_time(data.get("decide_by")),
            answer=data.get("answer"),
            outcome=data.get("outcome"),
            decision_reason=data.get("decision_reason"),
            decided_by_role=data.get("decided_by_role"),
        )


@dataclass(frozen=True, slots=True)
class ProtectiveRegistration:
    """One of your protective registrations (an identity-theft victim's identifiers); nothing about listings."""

    ref: str
    case_ref: str | None
    types: tuple[str, ...]
    reason: str
    status: str  # active | expired | withdrawn
    confirmed: bool
    created_at: datetime | None
    expires_at: datetime | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProtectiveRegistration:
        return cls(
            ref=data["ref"],
            case_ref=data.get("case_ref"),
            types=tuple(data.get("types") or ()),
            reason=data["reason"],
            status=data["status"],
            confirmed=bool(data.get("confirmed")),
            created_at=_time(data.get("created_at")),
            expires_at=_time(data.get("expires_at")),
        )
