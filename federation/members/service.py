"""The rules for members and their keys: plain functions over a session and a clock.

Each change records its event (``member:added``, ``key:revoked``, ...) in the
same transaction. Functions flush; the request or CLI boundary commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound, ValidationFailed, field_error
from ..events.service import record
from .assertions import AssertionKey
from .keys import load_public_key, parse_public_key
from .models import ROLES, STATUSES, Member, MemberKey

MEMBER_ID_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
KID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: Ids that name something else in a URL: ``GET /v1/members/me`` is the caller's own record.
RESERVED_IDS = frozenset({"me"})


def _field_error(pointer: str, detail: str) -> ValidationFailed:
    return ValidationFailed(detail, errors=[field_error(pointer, detail)])


def normalize_roles(roles: Iterable[str]) -> str:
    """Roles as stored: known names only, deduplicated, in canonical order."""
    wanted = {role.strip() for role in roles if role.strip()}
    unknown = wanted - set(ROLES)
    if unknown:
        raise _field_error("/roles", f"Unknown roles: {', '.join(sorted(unknown))}. Known: {', '.join(ROLES)}.")
    return " ".join(role for role in ROLES if role in wanted)


def add_member(
    session: Session,
    *,
    member_id: str,
    display_name: str,
    roles: Iterable[str],
    actor: str,
    now: datetime,
    contact: str = "",
    trust_weight: float = 1.0,
    status: str = "pending",
    declared_daily_lookups: int | None = None,
) -> Member:
    if not MEMBER_ID_PATTERN.fullmatch(member_id):
        raise _field_error("/id", "Member ids are 1-64 lowercase letters, digits and inner hyphens.")
    if member_id in RESERVED_IDS:
        raise _field_error("/id", f"{member_id!r} is reserved.")
    if status not in STATUSES:
        raise _field_error("/status", f"Status must be one of {', '.join(STATUSES)}.")
    if not 0.0 <= trust_weight <= 1.0:
        raise _field_error("/trust_weight", "Trust weight is between 0 and 1.")
    _check_volume("/declared_daily_lookups", declared_daily_lookups)
    if session.get(Member, member_id) is not None:
        raise Conflict(f"Member {member_id} already exists.", code="member_exists")
    member = Member(
        id=member_id,
        display_name=display_name.strip() or member_id,
        status=status,
        roles=normalize_roles(roles),
        trust_weight=trust_weight,
        contact=contact,
        declared_daily_lookups=declared_daily_lookups,
        created_at=now,
        updated_at=now,
    )
    session.add(member)
    record(
        session,
        "member:added",
        f"member:{member_id}",
        actor=actor,
        now=now,
        payload={"roles": member.roles.split(), "status": status},
    )
    session.flush()
    return member


def get_member(session: Session, member_id: str) -> Member:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound(f"No member {member_id}.", code="member_not_found")
    return member


def list_members(session: Session) -> list[Member]:
    return list(session.scalars(select(Member).order_by(Member.id)))


def set_status(session: Session, member_id: str, status: str, *, actor: str, now: datetime, reason: str = "") -> Member:
    """Activate or suspend. A suspension takes effect on the member's very next request."""
    if status not in STATUSES:
        raise _field_error("/status", f"Status must be one of {', '.join(STATUSES)}.")
    member = get_member(session, member_id)
    if member.status != status:
        previous, member.status, member.updated_at = member.status, status, now
        action = {"active": "activated", "suspended": "suspended", "pending": "reset"}[status]
        record(
            session,
            f"member:{action}",
            f"member:{member_id}",
            actor=actor,
            now=now,
            payload={"from": previous, "reason": reason},
        )
        session.flush()
    return member


#: Largest declared volume or daily budget an admin may set: far above any platform, far below overflow.
MAX_DAILY_LOOKUPS = 2_000_000_000  # the column is a 32-bit integer


def _check_volume(pointer: str, value: int | None) -> None:
    if value is not None and not 0 <= value <= MAX_DAILY_LOOKUPS:
        raise _field_error(pointer, f"A number of identifiers per day, 0 to {MAX_DAILY_LOOKUPS}.")


#: ``set_lookup_budget``'s "leave as it is".
UNCHANGED = object()


def set_lookup_budget(
    session: Session,
    member_id: str,
    *,
    actor: str,
    now: datetime,
    declared_daily_lookups: int | None | object = UNCHANGED,
    daily_lookup_quota: int | None | object = UNCHANGED,
    reason: str = "",
) -> Member:
    """Set a member's declared volume and/or an admin's override of its daily budget (None clears it).

    The budget itself is computed from these (``lookups/budget.py``) and takes effect on the member's
    next lookup: the change bumps the member-access epoch like any change to a member.
    """
    member = get_member(session, member_id)
    changes: dict[str, object] = {}
    for field, value in (
        ("declared_daily_lookups", declared_daily_lookups),
        ("daily_lookup_quota", daily_lookup_quota),
    ):
        if value is UNCHANGED:
            continue
        _check_volume(f"/{field}", value)  # type: ignore[arg-type]
        if getattr(member, field) != value:
            changes[field] = {"from": getattr(member, field), "to": value}
            setattr(member, field, value)
    if changes:
        if not reason.strip():  # an override is an admin's judgement: the audit says why, as for trust
            raise _field_error("/reason", "Say why the budget changes: the reason is recorded.")
        member.updated_at = now
        record(
            session,
            "member:budget_changed",
            f"member:{member_id}",
            actor=actor,
            now=now,
            payload={**changes, "reason": reason},
        )
        session.flush()
    return member


def add_key(
    session: Session, member_id: str, key_text: str, *, actor: str, now: datetime, kid: str | None = None
) -> MemberKey:
    """Register a public key (PEM or JWK). The kid defaults to the key's RFC 7638 thumbprint."""
    member = get_member(session, member_id)
    parsed = parse_public_key(key_text)
    kid = kid or parsed.thumbprint
    if not KID_PATTERN.fullmatch(kid):
        raise _field_error("/kid", "A kid is 1-128 characters of letters, digits and . _ : -")
    existing = session.scalars(
        select(MemberKey)
        .where(MemberKey.member_id == member.id)
        .where((MemberKey.kid == kid) | (MemberKey.thumbprint == parsed.thumbprint))
    ).first()
    if existing is not None:
        raise Conflict("That kid or that key is already registered for this member.", code="key_exists")
    key = MemberKey(
        member_id=member.id,
        kid=kid,
        alg=parsed.alg,
        public_jwk=parsed.public_jwk,
        thumbprint=parsed.thumbprint,
        created_at=now,
    )
    session.add(key)
    record(
        session,
        "key:added",
        f"member:{member_id}",
        actor=actor,
        now=now,
        payload={"kid": kid, "alg": parsed.alg, "thumbprint": parsed.thumbprint},
    )
    try:
        session.flush()
    except IntegrityError:  # a concurrent registration of the same key
        raise Conflict("That kid or that key is already registered for this member.", code="key_exists") from None
    return key


def list_keys(session: Session, member_id: str) -> list[MemberKey]:
    return list(get_member(session, member_id).keys)


def revoke_key(
    session: Session, member_id: str, kid: str, *, actor: str, now: datetime, allow_last: bool = False
) -> MemberKey:
    """Revoke at once: assertions signed with it stop working on the next token request.

    Revoking the last active key would lock the member out of the API; only an
    operator (``allow_last``, the CLI) may do that.
    """
    keys = list_keys(session, member_id)
    key = next((k for k in keys if k.kid == kid), None)
    if key is None:
        raise NotFound(f"No key {kid} for member {member_id}.", code="key_not_found")
    if key.revoked_at is None:
        if not allow_last and sum(k.active for k in keys) == 1:
            raise Conflict("That is the member's last active key; register a new one first.", code="last_key")
        key.revoked_at = now
        record(session, "key:revoked", f"member:{member_id}", actor=actor, now=now, payload={"kid": kid})
        session.flush()
    return key


def assertion_keys(session: Session, member_id: str) -> list[AssertionKey]:
    """Active keys of a member, ready for signature checks (empty for unknown members)."""
    rows = session.scalars(
        select(MemberKey).where(MemberKey.member_id == member_id).where(MemberKey.revoked_at.is_(None))
    )
    return [AssertionKey(kid=row.kid, alg=row.alg, public_key=load_public_key(row.public_jwk)) for row in rows]
