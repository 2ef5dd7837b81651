"""Protective registration: who may flag an identifier as an identity-theft victim's, and for how long.

Two ways in (``docs/disputes.md``, "Protective registration"):

* a **reviewer**, from an appeal: the appeal already holds the person's identifiers as entry-side
  hashes under every salt of its day, and its evidence (an ID video, a police report) was read in
  the case. The registration is confirmed from the start and lasts ``PROTECTIVE_CONFIRMED_DAYS``.
* a **member**, for its own customer who proved the theft to it: the member sends the identifiers
  hashed under *every* accepted salt (as a submission may), a reason and the digests of its proof.
  It takes effect **at once**, because a victim needs it before the next complaint, and the harm a
  dishonest member can do with it is bounded: the match stays visible to everyone, only the
  recommendation is held at ``review`` (a person looks). To keep it honest, it lasts only
  ``PROTECTIVE_MEMBER_DAYS`` unless a reviewer confirms it (no reviewer of the registering member
  may), it sits in the reviewers' queue with the member named, and every step is an event.

Nobody else ever learns that a registration exists: members see ``protective_registration: true``
only on a lookup result that already matches a listing of that identifier, never who registered;
the registering member sees its own registrations and nothing about listings.
"""

from __future__ import annotations

import base64
import secrets
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..disputes import cases
from ..disputes.appeals import get_appeal
from ..disputes.fairness import conflicted_in
from ..entries.rules import HashedId
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from ..events.service import record
from ..identifiers.secrets import IdentifierSecrets
from . import flags
from .models import ProtectiveRegistration, ProtectiveRegistrationHash

#: A network is shared by neighbours: protecting it would shield everyone behind it.
UNPROTECTABLE_TYPES = ("ip_net",)


@dataclass(frozen=True, slots=True)
class Terms:
    #: Days a member's registration holds before a reviewer confirms it.
    member_days: int = 90
    #: Days a reviewer's (or a confirmed) registration holds from the registration or confirmation.
    confirmed_days: int = 365

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Terms:
        return cls(
            member_days=int(config.get("PROTECTIVE_MEMBER_DAYS", 90)),
            confirmed_days=int(config.get("PROTECTIVE_CONFIRMED_DAYS", 365)),
        )


@dataclass(frozen=True, slots=True)
class Registered:
    registration: ProtectiveRegistration
    created: bool


def new_ref() -> str:
    """An opaque public reference (``P`` + 16 base32 characters)."""
    return "P" + base64.b32encode(secrets.token_bytes(10)).decode("ascii")


def status(registration: ProtectiveRegistration, now: datetime) -> str:
    """``active``, ``expired`` (its review date passed unconfirmed or unrenewed) or ``withdrawn``."""
    if registration.state == "withdrawn":
        return "withdrawn"
    return "active" if registration.expires_at > now else "expired"


def register_for_member(
    session: Session,
    member_id: str,
    *,
    case_ref: str,
    identifiers: tuple[HashedId, ...],
    reason: str,
    evidence: list[str],
    identifier_secrets: IdentifierSecrets,
    terms: Terms,
    now: datetime,
) -> Registered:
    """A member's registration for its own customer; a re-send with the same ``case_ref`` returns the first."""
    existing = _own_by_case(session, member_id, case_ref)
    if existing is not None:
        return Registered(existing, created=False)
    hashes = _member_hashes(identifiers, identifier_secrets)
    registration = ProtectiveRegistration(
        ref=new_ref(),
        source="member",
        member_id=member_id,
        case_ref=case_ref,
        types=sorted({item.type for item in identifiers}),
        reason=reason,
        evidence=sorted(set(evidence)),
        state="active",
        created_by=member_id,
        created_at=now,
        expires_at=now + timedelta(days=terms.member_days),
        hashes=[ProtectiveRegistrationHash(stored_hash=value, key_id=key_id) for value, key_id in hashes.items()],
    )
    try:
        with session.begin_nested():
            session.add(registration)
    except IntegrityError:  # a concurrent request with the same case_ref won
        existing = _own_by_case(session, member_id, case_ref)
        if existing is None:
            raise
        return Registered(existing, created=False)
    _registered(session, registration, actor=member_id, now=now)
    return Registered(registration, created=True)


def register_from_appeal(
    session: Session, reviewer: str, appeal_ref: str, *, reason: str, terms: Terms, now: datetime
) -> Registered:
    """A reviewer's registration of an appellant's identifiers; one active registration per appeal."""
    appeal = get_appeal(session, appeal_ref)
    if conflicted_in(cases.all_disputes(session, appeal.case_ref), reviewer):
        raise Forbidden(
            f"Your member is a party to appeal {appeal.ref}'s case: another reviewer handles it.",
            code="conflict_of_interest",
        )
    existing = session.scalars(
        select(ProtectiveRegistration).where(
            ProtectiveRegistration.appeal_ref == appeal.ref, ProtectiveRegistration.state == "active"
        )
    ).first()
    if existing is not None:
        return Registered(existing, created=False)
    identifiers = [item for item in appeal.identifiers if item.type not in UNPROTECTABLE_TYPES]
    if appeal.erased_at is not None or not identifiers:
        raise Conflict(
            f"Appeal {appeal.ref} no longer holds the person's identifiers (erased after its retention period).",
            code="appeal_erased",
        )
    hashes = {bytes.fromhex(value) for item in identifiers for value in item.stored_hashes}
    registration = ProtectiveRegistration(
        ref=new_ref(),
        source="appeal",
        member_id=None,
        appeal_ref=appeal.ref,
        types=sorted({item.type for item in identifiers}),
        reason=reason,
        evidence=sorted({item["sha256"] for item in appeal.evidence if "sha256" in item}),
        state="active",
        created_by=reviewer,
        created_at=now,
        expires_at=now + timedelta(days=terms.confirmed_days),
        confirmed_by=reviewer,
        confirmed_at=now,
        hashes=[ProtectiveRegistrationHash(stored_hash=value, key_id=None) for value in sorted(hashes)],
    )
    session.add(registration)
    _registered(session, registration, actor=reviewer, now=now)
    return Registered(registration, created=True)


def confirm(session: Session, reviewer: str, ref: str, *, terms: Terms, now: datetime) -> ProtectiveRegistration:
    """A reviewer confirms (or renews) a registration: it then holds ``confirmed_days`` from now."""
    registration = get_registration(session, ref)
    if registration.state != "active" or registration.purged_at is not None:
        raise Conflict(f"Registration {ref} has ended: register the person again.", code="registration_ended")
    if registration.member_id is not None and registration.member_id == reviewer:
        raise Forbidden("A reviewer does not confirm their own member's registration.", code="own_registration")
    registration.confirmed_by, registration.confirmed_at = reviewer, now
    registration.expires_at = max(registration.expires_at, now + timedelta(days=terms.confirmed_days))
    record(
        session,
        "protection:confirmed",
        f"protection:{registration.ref}",
        actor=reviewer,
        now=now,
        payload={"ref": registration.ref, "expires_at": registration.expires_at.isoformat()},
    )
    flags.reflag(session, [item.stored_hash for item in registration.hashes])
    return registration


def withdraw_own(session: Session, member_id: str, ref: str, *, reason: str, now: datetime) -> ProtectiveRegistration:
    """The registering member withdraws its registration (another member's is "not found")."""
    registration = session.scalars(
        select(ProtectiveRegistration).where(
            ProtectiveRegistration.ref == ref, ProtectiveRegistration.member_id == member_id
        )
    ).first()
    if registration is None:
        raise NotFound(f"No registration {ref} of yours.", code="registration_not_found")
    return withdraw(session, registration, actor=member_id, reason=reason, now=now)


def withdraw(
    session: Session, registration: ProtectiveRegistration, *, actor: str, reason: str, now: datetime
) -> ProtectiveRegistration:
    """End a registration: its identifiers' listings count in full again at once (unless another covers them)."""
    if registration.state == "withdrawn":
        return registration
    registration.state = "withdrawn"
    registration.withdrawn_by, registration.withdrawn_at, registration.withdraw_reason = actor, now, reason
    record(
        session,
        "protection:withdrawn",
        f"protection:{registration.ref}",
        actor=actor,
        now=now,
        payload={"ref": registration.ref, "source": registration.source},
    )
    flags.reflag(session, [item.stored_hash for item in registration.hashes])
    return registration


def get_registration(session: Session, ref: str) -> ProtectiveRegistration:
    registration = session.scalars(select(ProtectiveRegistration).where(ProtectiveRegistration.ref == ref)).first()
    if registration is None:
        raise NotFound(f"No registration {ref}.", code="registration_not_found")
    return registration


def own_registrations(session: Session, member_id: str) -> list[ProtectiveRegistration]:
    return list(
        session.scalars(
            select(ProtectiveRegistration)
            .where(ProtectiveRegistration.member_id == member_id)
            .order_by(ProtectiveRegistration.id.desc())
        )
    )


def review_queue(session: Session, now: datetime) -> list[ProtectiveRegistration]:
    """Registrations in force, unconfirmed (members') first, oldest first: what reviewers check."""
    registrations = session.scalars(
        select(ProtectiveRegistration)
        .where(ProtectiveRegistration.state == "active", ProtectiveRegistration.expires_at > now)
        .order_by(ProtectiveRegistration.id)
    )
    return sorted(registrations, key=lambda r: r.confirmed_at is not None)


def _own_by_case(session: Session, member_id: str, case_ref: str) -> ProtectiveRegistration | None:
    return session.scalars(
        select(ProtectiveRegistration).where(
            ProtectiveRegistration.member_id == member_id, ProtectiveRegistration.case_ref == case_ref
        )
    ).first()


def _member_hashes(identifiers: tuple[HashedId, ...], identifier_secrets: IdentifierSecrets) -> dict[bytes, str]:
    """Stored hashes by key id, once each identifier was checked to be hashed under every accepted salt.

    Every salt, not one: the flag is set on listings by their stored hash, and a listing made
    under an older salt (not yet re-keyed) would otherwise escape it.
    """
    errors = []
    accepted = set(identifier_secrets.salts)
    by_group: dict[int, list[HashedId]] = defaultdict(list)
    for index, item in enumerate(identifiers):
        by_group[index if item.group is None else item.group].append(item)
        if not identifier_secrets.knows(item.key_id):
            errors.append(
                field_error(f"{item.at or f'/identifiers/{index}'}/key_id", f"Unknown salt key id {item.key_id!r}.")
            )
        if item.type in UNPROTECTABLE_TYPES:
            errors.append(field_error(f"{item.at or f'/identifiers/{index}'}/type", "A network cannot be protected."))
    for group, items in sorted(by_group.items()):
        missing = accepted - {item.key_id for item in items}
        if missing:
            errors.append(
                field_error(
                    f"/identifiers/{group}/hashes",
                    "Hash the identifier under every accepted salt (GET /v1/salts); "
                    f"missing: {', '.join(sorted(missing))}.",
                )
            )
    if errors:
        raise ValidationFailed("The registration's identifiers are incomplete; see errors.", errors=errors[:100])
    return {identifier_secrets.stored_hash(item.key_id, item.type, item.hash): item.key_id for item in identifiers}


def _registered(session: Session, registration: ProtectiveRegistration, *, actor: str, now: datetime) -> None:
    record(
        session,
        "protection:registered",
        f"protection:{registration.ref}",
        actor=actor,
        now=now,
        payload={
            "ref": registration.ref,
            "source": registration.source,
            "appeal": registration.appeal_ref,
            "types": registration.types,
            "reason": registration.reason,
            "expires_at": registration.expires_at.isoformat(),
        },
    )
    flags.reflag(session, [item.stored_hash for item in registration.hashes])
