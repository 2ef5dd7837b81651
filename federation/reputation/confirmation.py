"""A reviewer confirms another member's listing: a probation member's entry then counts in full.

Why a reviewer of *another* member: probation exists because a new member's own judgement is not
yet proven; its own reviewers vouching for it would prove nothing, and a reviewer whose own member
is still on probation is unproven too (two new members would otherwise lift each other). The confirmation is recorded
on the entry (``confirmed_at``, read by the lookup's matching query) and as ``entry:confirmed``
(who confirmed is the event's actor; members are never told).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..entries.models import Entry
from ..errors import Conflict, Forbidden, NotFound
from ..events.service import record
from ..members.models import Member

#: A listing that matches can be confirmed; a held one is decided through its hold, an ended one is over.
CONFIRMABLE_STATES = frozenset({"active", "suspended"})


def confirm(session: Session, reviewer: str, ref: str, *, reason: str, now: datetime) -> Entry:
    """Confirm entry ``ref``; confirming it again changes nothing."""
    entry = session.scalar(select(Entry).where(Entry.ref == ref))
    if entry is None:
        raise NotFound(f"No entry {ref}.", code="entry_not_found")
    if entry.member_id == reviewer:
        raise Forbidden("Your own member listed this entry: another member's reviewer confirms it.", code="own_member")
    reviewing = session.get(Member, reviewer)
    if reviewing is not None and reviewing.probation_until is not None and now < reviewing.probation_until:
        raise Forbidden(
            "Your member is on probation: a reviewer of a member past probation confirms listings.",
            code="reviewer_on_probation",
        )
    if entry.confirmed_at is not None:
        return entry
    if entry.state not in CONFIRMABLE_STATES:
        raise Conflict(f"Entry {ref} is {entry.state}: only a live listing can be confirmed.", code="entry_not_live")
    entry.confirmed_at, entry.updated_at = now, now
    record(
        session,
        "entry:confirmed",
        f"entry:{entry.ref}",
        actor=reviewer,
        now=now,
        payload={"ref": entry.ref, "reason": reason},
    )
    session.flush()
    return entry
