"""Who may decide a dispute, and when: no judge in their own cause, and the submitter heard first.

Pure rules over a dispute's fields and an explicit clock (no session, no Flask), used by a
reviewer's decision on one dispute and on a whole appeal alike.

* A reviewer acts for a member (``reviewer`` is that member's id). It may not decide a dispute
  of an entry its own member listed, nor one its own member filed: 403 ``conflict_of_interest``.
  The operator at the console (``cli:<user>``) belongs to no member, so it has no cause of its
  own here: it is where a case goes when every reviewer is conflicted.
* A dispute is decided once the submitter has answered (``awaiting_review``) or its answer
  deadline has passed. Deciding earlier cuts the submitter's time short, so it needs an explicit
  ``expedite_reason`` (kept on the dispute, shown to reviewers, flagged in the event): 409
  ``answer_pending`` without one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from ..errors import Conflict, Forbidden


class _Listed(Protocol):
    member_id: str


class _Case(Protocol):
    ref: str
    state: str
    respond_by: datetime
    filed_by: str | None
    entry: _Listed


def conflicted(dispute: _Case, reviewer: str) -> bool:
    """The reviewer's member listed the entry, or filed the dispute."""
    return reviewer in (dispute.entry.member_id, dispute.filed_by)


def conflicted_in(disputes: Iterable[_Case], reviewer: str) -> bool:
    """A party to any dispute of a case is a party to the case: it may not decide, nor read, any of it."""
    return any(conflicted(dispute, reviewer) for dispute in disputes)


def answer_pending(dispute: _Case, now: datetime) -> bool:
    """The submitter may still answer: deciding now would not hear it."""
    return dispute.state == "awaiting_answer" and dispute.respond_by > now


def check_may_decide(dispute: _Case, reviewer: str, *, now: datetime, expedite_reason: str | None) -> None:
    """Raise unless ``reviewer`` may decide ``dispute`` at ``now``."""
    if conflicted(dispute, reviewer):
        raise Forbidden(
            f"Your member is a party to dispute {dispute.ref}: another reviewer must decide it.",
            code="conflict_of_interest",
        )
    if answer_pending(dispute, now) and not (expedite_reason or "").strip():
        raise Conflict(
            f"Dispute {dispute.ref} is waiting for the submitter's answer until "
            f"{dispute.respond_by:%Y-%m-%dT%H:%M:%SZ}; decide earlier only with an expedite_reason.",
            code="answer_pending",
        )
