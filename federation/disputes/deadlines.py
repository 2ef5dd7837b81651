"""Deadlines, applied by ``federation tick`` (cron-able; ``make run`` runs it every minute).

Due process that waits for someone to act must not wait forever:

* a submitter whose answer deadline is ``warning_days`` away is reminded once, through a
  change addressed to it (``dispute_deadline_near``);
* a submitter that does not answer a dispute in time loses the entry's effect:
  it is suspended (still shown, never counted) until a reviewer decides;
* a case not decided by its decision deadline suspends the entry the same
  way, whether it waits for a reviewer or still for the submitter's answer
  (an appeal's working-day deadline can come first): the federation's own
  delay must not count against the listed person;
* disputes of entries that ended another way (retracted, expired) are closed
  as moot;
* appeals received since the last tick are matched (``appeals.match_received``).

Every transition records its event. Running it twice changes nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..entries.models import Entry
from ..entries.service import ENDED_STATES
from ..events.service import record
from . import appeals, cases
from .models import Dispute
from .service import Deadlines, moot_others


@dataclass(frozen=True, slots=True)
class TickReport:
    unanswered: int
    review_overdue: int
    moot: int
    appeals_matched: int
    warned: int = 0


def apply_deadlines(
    session: Session, *, now: datetime, deadlines: Deadlines, identifier_secrets, actor: str = "system:tick"
) -> TickReport:
    cases.serialise(session)  # one tick at a time: a second waits, then finds nothing left to do
    warned = warn_submitters(session, now=now, warning_days=deadlines.warning_days, actor=actor)
    unanswered = list(
        session.scalars(
            select(Dispute).where(Dispute.state == "awaiting_answer", Dispute.respond_by <= now).order_by(Dispute.id)
        )
    )
    for dispute in unanswered:
        dispute.state = "awaiting_review"
        record(
            session, "dispute:unanswered", f"dispute:{dispute.ref}", actor=actor, now=now, payload={"ref": dispute.ref}
        )
        _suspend_for(session, dispute, actor=actor, now=now)
    overdue = list(
        session.scalars(
            select(Dispute)
            .where(Dispute.state != "closed", Dispute.decide_by <= now, Dispute.suspended_entry_at.is_(None))
            .order_by(Dispute.id)
        )
    )
    for dispute in overdue:
        record(
            session,
            "dispute:review_overdue",
            f"dispute:{dispute.ref}",
            actor=actor,
            now=now,
            payload={"ref": dispute.ref},
        )
        _suspend_for(session, dispute, actor=actor, now=now)
    ended = list(
        session.scalars(
            select(Entry)
            .join(Dispute, Dispute.entry_id == Entry.id)
            .where(Dispute.state != "closed", Entry.state.in_(ENDED_STATES))
            .distinct()
        )
    )
    moot = sum(moot_others(session, entry, None, actor=actor, now=now) for entry in ended)
    matched = appeals.match_received(session, now=now, deadlines=deadlines, identifier_secrets=identifier_secrets)
    session.flush()
    return TickReport(len(unanswered), len(overdue), moot, matched, warned)


def warn_submitters(session: Session, *, now: datetime, warning_days: int, actor: str) -> int:
    """Tell each submitter, once, that its answer to a dispute is due within ``warning_days``."""
    due = list(
        session.scalars(
            select(Dispute)
            .where(
                Dispute.state == "awaiting_answer",
                Dispute.deadline_warned_at.is_(None),
                Dispute.respond_by > now,
                Dispute.respond_by <= now + timedelta(days=warning_days),
            )
            .order_by(Dispute.id)
        )
    )
    for dispute in due:
        dispute.deadline_warned_at = now
        record(
            session,
            "dispute:deadline_near",
            f"dispute:{dispute.ref}",
            actor=actor,
            now=now,
            payload={"ref": dispute.ref, "entry": dispute.entry.ref, "respond_by": dispute.respond_by.isoformat()},
            recipient=dispute.entry.member_id,
        )
    return len(due)


def _suspend_for(session: Session, dispute: Dispute, *, actor: str, now: datetime) -> None:
    dispute.suspended_entry_at = dispute.updated_at = now
    entry = dispute.entry
    if entry.state == "active":
        entry.state, entry.updated_at = "suspended", now
        record(
            session,
            "entry:suspended",
            f"entry:{entry.ref}",
            actor=actor,
            now=now,
            payload={"ref": entry.ref, "from": "active", "dispute": dispute.ref},
        )
