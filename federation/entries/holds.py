"""Reviewing held entries: the case behind a hold, and the decision that lists or refuses it.

A held entry (``state: held``) was accepted but matches nothing, is counted nowhere and is not in
the change feed. Its submitter sees only ``hold_reason: review`` (:data:`PUBLIC_REASON`), whatever
the cause, so a hold reveals no one's history. A reviewer (scope ``review``) sees the cause: for
a re-listing under a reinsertion guard, the overturned entries, disputes and upheld appeals, which
evidence digests are new, and the submitter's certification; and may approve it only when it
brings both (``rules.hold_gaps``). Approval lists it (``entry:listed`` reaches the feed only
then); rejection ends it as ``rejected``. No reviewer decides a hold on its own member's entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Conflict, Forbidden, NotFound
from ..events.service import record
from . import rules
from .models import Entry, EntryHold, ReinsertionGuard
from .service import end_listing, record_listed

#: What a submitter is told about any hold, whatever its cause.
PUBLIC_REASON = "review"
DECISIONS = ("approve", "reject")
#: The end reason a submitter sees on a refused hold: the reviewer's own words stay with reviewers.
REJECTED_REASON = "Not listed after review."


@dataclass(frozen=True, slots=True)
class HoldCase:
    """A hold with the guards it hit, as a reviewer reads it."""

    hold: EntryHold
    guards: list[ReinsertionGuard]
    guard_days: int

    @property
    def gaps(self) -> list[str]:
        """What a re-listing lacks; a sampled listing needs nothing but a reviewer's look."""
        if self.hold.cause != "reinsertion":
            return []
        return rules.hold_gaps(self.hold.new_evidence, self.hold.certified)

    def guard_until(self, guard: ReinsertionGuard) -> datetime:
        return guard.created_at + timedelta(days=self.guard_days)

    @property
    def parties(self) -> set[str]:
        """The re-listing's member and every party to the cases it would reverse."""
        return {self.hold.entry.member_id, *(party for guard in self.guards for party in guard.parties or [])}


def review_queue(session: Session, reviewer: str, *, guard_days: int) -> list[HoldCase]:
    """Holds ``reviewer`` may decide, oldest first (a held entry withdrawn or expired is no longer waiting).

    A hold whose cases the reviewer's member was party to is left out: it may not decide it, and
    the hold alone would tell it who listed the person again."""
    holds = session.scalars(
        select(EntryHold)
        .join(Entry, Entry.id == EntryHold.entry_id)
        .where(EntryHold.state == "pending", Entry.state == "held")
        .order_by(EntryHold.id)
    )
    return [case for case in (_case(session, hold, guard_days) for hold in holds) if reviewer not in case.parties]


def hold_case(session: Session, entry_ref: str, reviewer: str, *, guard_days: int) -> HoldCase:
    """One hold as an impartial reviewer reads it; a party gets 403, like a conflicted dispute."""
    hold = session.scalar(select(EntryHold).join(Entry, Entry.id == EntryHold.entry_id).where(Entry.ref == entry_ref))
    if hold is None:
        raise NotFound(f"No hold on entry {entry_ref}.", code="hold_not_found")
    case = _case(session, hold, guard_days)
    if reviewer == hold.entry.member_id:
        raise Forbidden("Your own member listed this entry: another reviewer decides its hold.", code="own_member")
    if reviewer in case.parties:
        raise Forbidden(
            "Your member was a party to the case this re-listing would reverse: another reviewer decides it.",
            code="conflict_of_interest",
        )
    return case


def _case(session: Session, hold: EntryHold, guard_days: int) -> HoldCase:
    guards = list(session.scalars(select(ReinsertionGuard).where(ReinsertionGuard.id.in_(hold.guard_ids))))
    return HoldCase(hold, sorted(guards, key=lambda guard: guard.id), guard_days)


def decide_hold(
    session: Session, reviewer: str, entry_ref: str, *, decision: str, reason: str, now: datetime, guard_days: int
) -> HoldCase:
    """``approve`` lists the entry now; ``reject`` ends it. Only a re-listing with new evidence and a
    certification can be approved: without them the guard's promise to the listed person would be empty."""
    case = hold_case(session, entry_ref, reviewer, guard_days=guard_days)
    hold, entry = case.hold, case.hold.entry
    if hold.state != "pending" or entry.state != "held":
        raise Conflict(f"The hold on {entry_ref} is no longer pending (entry {entry.state}).", code="hold_decided")
    if decision == "approve" and case.gaps:
        raise Conflict(
            f"This re-listing cannot be approved: it lacks {' and '.join(case.gaps)}. Reject it.",
            code="hold_incomplete",
        )
    hold.state = "approved" if decision == "approve" else "rejected"
    hold.decided_by, hold.decision_reason, hold.decided_at = reviewer, reason, now
    if decision == "approve":
        entry.state, entry.listed_at, entry.updated_at = "active", now, now
    else:
        end_listing(entry, "rejected", reason=REJECTED_REASON, now=now)
    record(
        session,
        f"entry:hold_{hold.state}",
        f"entry:{entry.ref}",
        actor=reviewer,
        now=now,
        payload={"ref": entry.ref, "cause": hold.cause},
    )
    if decision == "approve":
        record_listed(session, entry, actor=reviewer, now=now)
    session.flush()
    return case
