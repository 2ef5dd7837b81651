"""A member's standing: effective trust recomputed from its record, admins' overrides, probation.

The formula is pure (``formula.py``); these are the rules around it, over a session and a clock.
Every change records its event in the same transaction: ``member:trust_recomputed`` (only when
the record changed or the value moved materially, so a tick every minute does not flood the
log), ``member:trust_set``, ``member:trust_overridden``, ``member:trust_override_removed``,
``member:probation_changed``, ``member:probation_ended``. Events are internal: none is in the
change feed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..entries.models import Entry
from ..errors import ValidationFailed, field_error
from ..events.service import record
from ..members import service as members
from ..members.models import Member
from .formula import RECORD_STATES, Record, ReputationModel, compute, effective, graduates, on_probation

#: ``set_trust(override=UNCHANGED)``: leave the override as it is (``None`` removes it).
UNCHANGED: Any = object()


def admit_member(session: Session, model: ReputationModel, *, now: datetime, **fields: Any) -> Member:
    """``members.service.add_member``, then probation and the formula's trust for an empty record."""
    member = members.add_member(session, now=now, **fields)
    admit(member, model, now)
    session.flush()
    return member


def admit(member: Member, model: ReputationModel, now: datetime) -> None:
    """A new member: on probation for ``probation_days``, weighing what the formula gives an empty record."""
    member.probation_until = now + timedelta(days=model.probation_days) if model.probation_days > 0 else None
    reputation = compute(model, member.trust_weight, Record(), now, now)
    member.effective_trust = reputation.computed
    member.trust_inputs, member.trust_computed_at = reputation.as_inputs(), now


def records(session: Session) -> dict[str, Record]:
    """Every member's record in one grouped query: counts per state, and how many were confirmed."""
    rows = session.execute(
        select(Entry.member_id, Entry.state, func.count(), func.count(Entry.confirmed_at))
        .where(Entry.state.in_(RECORD_STATES))
        .group_by(Entry.member_id, Entry.state)
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for member_id, state, count, confirmed in rows:
        tally = counts.setdefault(member_id, {"entries": 0, "delisted": 0, "retracted": 0, "confirmed": 0})
        tally["entries"] += count
        tally["confirmed"] += confirmed
        if state in ("delisted", "retracted"):
            tally[state] += count
    return {
        member_id: Record(c["entries"], overturned=c["delisted"], retracted=c["retracted"], confirmed=c["confirmed"])
        for member_id, c in counts.items()
    }


#: A recomputed trust is recorded as an event only when the record changed or the value moved by at
#: least this much: the age factor creeps up a little every day, and a tick every minute must not
#: write an event per young member per tick.
MATERIAL_CHANGE = 0.01
_COUNTS = ("entries", "overturned", "retracted")


def recompute(session: Session, model: ReputationModel, *, now: datetime, actor: str = "system") -> int:
    """``federation tick``: every member's effective trust from its record; returns how many moved materially.

    Also ends the probation of members with enough reviewer-confirmed listings.
    """
    by_member = records(session)
    moved = 0
    for member in session.scalars(select(Member).order_by(Member.id)):
        member_record = by_member.get(member.id, Record())
        reputation = compute(model, member.trust_weight, member_record, member.created_at, now)
        inputs, earlier = reputation.as_inputs(), member.trust_inputs or {}
        value, previous = effective(reputation.computed, member.trust_override), member.effective_trust
        member.effective_trust, member.trust_inputs, member.trust_computed_at = value, inputs, now
        counts_changed = any(inputs[key] != earlier.get(key, 0) for key in _COUNTS)
        if value != previous and (counts_changed or abs(value - previous) >= MATERIAL_CHANGE):
            moved += 1
            record(
                session,
                "member:trust_recomputed",
                f"member:{member.id}",
                actor=actor,
                now=now,
                payload={"from": previous, "to": value, "inputs": inputs},
            )
        if on_probation(member.probation_until, now) and graduates(model, member_record):
            member.probation_until = now
            record(
                session,
                "member:probation_ended",
                f"member:{member.id}",
                actor=actor,
                now=now,
                payload={"reason": f"{member_record.confirmed} listings confirmed by reviewers"},
            )
    session.flush()
    return moved


def _required_reason(reason: str) -> str:
    if not reason.strip():
        raise ValidationFailed("Say why (it is audited).", errors=[field_error("/reason", "A reason is required.")])
    return reason.strip()


def set_trust(
    session: Session,
    member: Member,
    model: ReputationModel,
    *,
    reason: str,
    actor: str,
    now: datetime,
    base: float | None = None,
    override: float | None = UNCHANGED,
) -> Member:
    """An admin changes the formula's base, sets an override (wins over the formula), or removes it.

    The effective trust changes at once, not at the next tick: the admin acted for a reason.
    """
    reason = _required_reason(reason)
    if base is None and override is UNCHANGED:
        raise ValidationFailed(
            "Give a base trust, an override, or null to remove the override.",
            errors=[field_error("/override", "Give base or override.")],
        )
    for pointer, value in (("/base", base), ("/override", override)):
        if value is not None and value is not UNCHANGED and not 0.0 <= value <= 1.0:
            raise ValidationFailed("Trust is between 0 and 1.", errors=[field_error(pointer, "Between 0 and 1.")])
    subject = f"member:{member.id}"
    if base is not None:
        previous, member.trust_weight = member.trust_weight, base
        record(
            session,
            "member:trust_set",
            subject,
            actor=actor,
            now=now,
            payload={"from": previous, "to": base, "reason": reason},
        )
    if override is not UNCHANGED:
        previous = member.trust_override
        member.trust_override = override
        member.trust_override_reason = reason if override is not None else None
        member.trust_override_at = now if override is not None else None
        tag = "member:trust_overridden" if override is not None else "member:trust_override_removed"
        record(
            session, tag, subject, actor=actor, now=now, payload={"from": previous, "to": override, "reason": reason}
        )
    reputation = compute(model, member.trust_weight, _record_of(session, member.id), member.created_at, now)
    member.effective_trust = effective(reputation.computed, member.trust_override)
    member.trust_inputs, member.trust_computed_at, member.updated_at = reputation.as_inputs(), now, now
    session.flush()
    return member


def _record_of(session: Session, member_id: str) -> Record:
    return records(session).get(member_id, Record())


def set_probation(
    session: Session, member: Member, until: datetime | None, *, reason: str, actor: str, now: datetime
) -> Member:
    """An admin ends (``until=None``) or extends/shortens a member's probation; audited with the reason."""
    reason = _required_reason(reason)
    if until is not None and until <= now:
        raise ValidationFailed(
            "Probation must end in the future; give null to end it now.",
            errors=[field_error("/until", "In the future, or null.")],
        )
    previous = member.probation_until
    member.probation_until, member.updated_at = (until if until is not None else now), now
    record(
        session,
        "member:probation_ended" if until is None else "member:probation_changed",
        f"member:{member.id}",
        actor=actor,
        now=now,
        payload={
            "from": previous.isoformat() if previous else None,
            "until": until.isoformat() if until else None,
            "reason": reason,
        },
    )
    session.flush()
    return member


def standing(member: Member, now: datetime) -> dict[str, Any]:
    """What a member is shown of its own standing (``GET /v1/members/me``) and admins of anyone's."""
    inputs = member.trust_inputs or {}
    return {
        "effective_trust": member.effective_trust,
        "base_trust": member.trust_weight,
        "computed_trust": inputs.get("computed"),
        "computed_at": member.trust_computed_at,
        "inputs": {key: value for key, value in inputs.items() if key not in ("computed", "base")} or None,
        "override": None
        if member.trust_override is None
        else {
            "trust": member.trust_override,
            "reason": member.trust_override_reason,
            "set_at": member.trust_override_at,
        },
        "probation": {
            "on_probation": on_probation(member.probation_until, now),
            "until": member.probation_until,
        },
    }


class WithStanding:
    """A member as the API shows it with its standing (``MemberSchema.standing``); lists leave it out."""

    def __init__(self, member: Member, now: datetime) -> None:
        self._member = member
        self.standing = standing(member, now)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._member, name)


def with_standing(member: Member, now: datetime) -> WithStanding:
    return WithStanding(member, now)
