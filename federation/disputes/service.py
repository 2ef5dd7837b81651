"""The course of a dispute: filed, answered, decided; and what each step does to the entry.

Plain functions over a session and a clock. Each records its events in the
same transaction; callers commit. Who learns what is deliberate: the member
that disputes never learns who listed the entry, and the submitter never
learns who disputed it; reviewers see both.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..entries.expiry import purge_identifiers
from ..entries.models import Entry
from ..entries.service import ENDED_STATES, end_listing, withdraw
from ..errors import Conflict, Forbidden, NotFound
from ..events.service import record
from ..locks import hold
from . import cases
from .calendar import WorkingCalendar
from .fairness import answer_pending, check_may_decide
from .models import Appeal, Dispute
from .reinsertion import guard_overturned

ROLES = ("submitter", "filer")


@dataclass(frozen=True, slots=True)
class Deadlines:
    """How long each side has.

    The submitter answers within ``respond_days`` calendar days (``FEDERATION_DISPUTE_RESPONSE_DAYS``)
    and is reminded ``warning_days`` before that (``FEDERATION_DEADLINE_WARNING_DAYS``); a reviewer
    decides a member's dispute within ``decide_days`` (``..._REVIEW_DECISION_DAYS``) and a person's
    appeal within ``appeal_working_days`` working days on ``calendar``
    (``FEDERATION_APPEAL_DECISION_WORKING_DAYS``: the 15 working days of China's 2019 app rules).
    """

    respond_days: int = 14
    decide_days: int = 30
    warning_days: int = 3
    appeal_working_days: int = 15
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)

    def __post_init__(self) -> None:
        if min(self.respond_days, self.decide_days, self.appeal_working_days) < 1:
            raise ValueError("due-process deadlines are at least one day")  # refused at start-up

    @classmethod
    def from_config(cls, config: Any) -> Deadlines:
        return cls(
            int(config["DISPUTE_RESPONSE_DAYS"]),
            int(config["REVIEW_DECISION_DAYS"]),
            warning_days=int(config["DEADLINE_WARNING_DAYS"]),
            appeal_working_days=int(config["APPEAL_DECISION_WORKING_DAYS"]),
            calendar=WorkingCalendar.from_settings(
                config["CALENDAR_TZ"], config["HOLIDAYS"], config["EXTRA_WORKING_DAYS"]
            ),
        )

    def appeal_decide_by(self, received: datetime) -> datetime:
        return self.calendar.add_working_days(received, self.appeal_working_days)


def overdue(case: Dispute | Appeal, now: datetime) -> bool:
    """Undecided past its decision deadline: reviewers see it flagged, and its entry does not count."""
    return case.decided_at is None and case.decide_by <= now


def new_ref(prefix: str) -> str:
    return prefix + base64.b32encode(secrets.token_bytes(10)).decode("ascii")


def _entry_by_ref(session: Session, ref: str, *, for_update: bool = False) -> Entry:
    query = select(Entry).where(Entry.ref == ref)
    if for_update:  # PostgreSQL: a row lock, released at commit; SQLite ignores it (one writer anyway)
        query = query.with_for_update().execution_options(populate_existing=True)
    entry = session.scalar(query)
    if entry is None:
        raise NotFound(f"No entry {ref}.", code="entry_not_found")
    return entry


def open_case(
    session: Session,
    entry: Entry,
    *,
    reason: str,
    evidence: list[dict[str, Any]],
    now: datetime,
    deadlines: Deadlines,
    filed_by: str | None = None,
    appeal: Appeal | None = None,
    actor: str,
) -> Dispute:
    """Open a dispute of ``entry``: the entry shows as disputed and weighs less until it closes.

    A dispute an appeal opens shares the appeal's decision deadline: the person was promised one date.
    """
    session.flush()  # what is pending goes first, outside the savepoint
    try:
        with session.begin_nested():  # the unique index on open member disputes decides a race
            dispute = Dispute(
                ref=new_ref("D"),
                entry=entry,
                filed_by=filed_by,
                appeal=appeal,
                reason=reason,
                evidence=evidence,
                state="awaiting_answer",
                respond_by=now + timedelta(days=deadlines.respond_days),
                decide_by=appeal.decide_by if appeal is not None else now + timedelta(days=deadlines.decide_days),
                created_at=now,
                updated_at=now,
            )
            session.add(dispute)
    except IntegrityError:
        raise Conflict("You already dispute this entry.", code="dispute_open") from None
    _count_open(session, entry, +1)
    entry.updated_at = now
    session.flush()
    record(
        session,
        "dispute:opened",
        f"dispute:{dispute.ref}",
        actor=actor,
        now=now,
        payload={
            "ref": dispute.ref,
            "entry": entry.ref,
            "origin": "appeal" if appeal else "member",
            "respond_by": dispute.respond_by.isoformat(),
        },
        recipient=entry.member_id,  # the submitter is told, and learns nothing of who disputed
    )
    return dispute


def file_dispute(
    session: Session,
    member_id: str,
    entry_ref: str,
    *,
    reason: str,
    evidence: list[dict[str, Any]],
    now: datetime,
    deadlines: Deadlines,
) -> Dispute:
    """A member disputes another member's entry; one open dispute per member and entry.

    Concurrent filings are serialised on the entry (its row lock on PostgreSQL, the write lock on
    SQLite) so the checks below see every dispute committed before; the partial unique index
    ``uq_disputes_open_per_filer`` makes a second open dispute impossible even without them.
    """
    hold(session)
    entry = _entry_by_ref(session, entry_ref, for_update=True)
    if entry.member_id == member_id:
        raise Forbidden("You listed this entry: retract it instead of disputing it.", code="own_entry")
    if entry.state in ENDED_STATES:
        raise Conflict(f"Entry {entry_ref} is {entry.state}: nothing to dispute.", code="entry_ended")
    already = session.scalar(
        select(Dispute.ref).where(
            Dispute.entry_id == entry.id, Dispute.filed_by == member_id, Dispute.state != "closed"
        )
    )
    if already is not None:
        raise Conflict(f"You already dispute this entry ({already}).", code="dispute_open")
    return open_case(
        session, entry, reason=reason, evidence=evidence, now=now, deadlines=deadlines, filed_by=member_id,
        actor=member_id,
    )  # fmt: skip


def get_dispute(session: Session, ref: str) -> Dispute:
    dispute = session.scalar(select(Dispute).where(Dispute.ref == ref))
    if dispute is None:
        raise NotFound(f"No dispute {ref}.", code="dispute_not_found")
    return dispute


def visible_dispute(session: Session, ref: str, member_id: str, *, reviewer: bool) -> Dispute:
    """A dispute as its filer, the entry's submitter or a reviewer may see it; to others it does not exist."""
    dispute = get_dispute(session, ref)
    if reviewer or member_id in (dispute.filed_by, dispute.entry.member_id):
        return dispute
    raise NotFound(f"No dispute {ref}.", code="dispute_not_found")


def list_disputes(session: Session, member_id: str, role: str, *, open_only: bool = False) -> list[Dispute]:
    """Disputes of the member's own entries (``submitter``) or filed by it (``filer``)."""
    query = select(Dispute).order_by(Dispute.id)
    if role == "submitter":
        query = query.join(Entry, Entry.id == Dispute.entry_id).where(Entry.member_id == member_id)
    else:
        query = query.where(Dispute.filed_by == member_id)
    if open_only:
        query = query.where(Dispute.state != "closed")
    return list(session.scalars(query))


def review_queue(session: Session) -> list[Dispute]:
    """Everything a reviewer must decide, oldest deadline first."""
    return list(
        session.scalars(
            select(Dispute).where(Dispute.state == "awaiting_review").order_by(Dispute.decide_by, Dispute.id)
        )
    )


def answer(
    session: Session,
    member_id: str,
    ref: str,
    *,
    answer: str,
    note: str,
    evidence: list[dict[str, Any]],
    now: datetime,
) -> Dispute:
    """The submitter keeps its listing (``uphold``, with evidence: a reviewer decides) or withdraws it."""
    cases.serialise(session)  # a withdrawal may close an appeal's case: not while a tick joins it
    dispute = get_dispute(session, ref)
    if dispute.entry.member_id != member_id:
        raise NotFound(f"No dispute {ref}.", code="dispute_not_found")
    if dispute.state != "awaiting_answer":
        # Answered, closed, or past its deadline (a reviewer decides now; retracting the entry still works).
        raise Conflict(f"Dispute {ref} is no longer awaiting an answer ({dispute.state}).", code="dispute_answered")
    dispute.answer, dispute.answer_note, dispute.answer_evidence = answer, note, evidence
    dispute.answered_at = dispute.updated_at = now
    record(
        session,
        "dispute:answered",
        f"dispute:{ref}",
        actor=member_id,
        now=now,
        payload={"ref": ref, "answer": answer},
    )
    if answer == "retract":
        guard_overturned(session, dispute, cause="retracted", actor=member_id, now=now)
        withdraw(session, dispute.entry, actor=member_id, reason=f"withdrawn in answer to {ref}", now=now)
        moot_others(session, dispute.entry, dispute, actor=member_id, now=now)
        close(session, dispute, "retracted", by=member_id, reason=note or "The listing member withdrew it.", now=now)
    else:
        dispute.state = "awaiting_review"
    session.flush()
    return dispute


def decide(
    session: Session,
    reviewer: str,
    ref: str,
    *,
    outcome: str,
    reason: str,
    now: datetime,
    expedite_reason: str | None = None,
) -> Dispute:
    """A reviewer decides: ``upheld`` delists the entry at once, ``rejected`` leaves it listed.

    ``reviewer``: the deciding member's id, or ``cli:<user>`` for the operator (``fairness.py``).
    """
    cases.serialise(session)  # a decision may close an appeal's case: not while a tick joins it
    dispute = get_dispute(session, ref)
    if dispute.state == "closed":
        raise Conflict(f"Dispute {ref} is already closed ({dispute.outcome}).", code="dispute_closed")
    check_may_decide(dispute, reviewer, now=now, expedite_reason=expedite_reason)
    if answer_pending(dispute, now):
        dispute.expedite_reason = expedite_reason
    if outcome == "upheld":
        guard_overturned(session, dispute, cause="upheld", actor=reviewer, now=now)
        delist(session, dispute.entry, actor=reviewer, now=now, reason=f"{ref}: {reason}")
        moot_others(session, dispute.entry, dispute, actor=reviewer, now=now)
    close(session, dispute, outcome, by=reviewer, reason=reason, now=now)
    session.flush()
    return dispute


def close(session: Session, dispute: Dispute, outcome: str, *, by: str, reason: str, now: datetime) -> None:
    """Close one dispute; the entry is reinstated if it was suspended only for open disputes now gone."""
    dispute.state, dispute.outcome = "closed", outcome
    dispute.decided_by, dispute.decision_reason, dispute.decided_at, dispute.updated_at = by, reason, now, now
    entry = dispute.entry
    _count_open(session, entry, -1)
    record(
        session,
        f"dispute:{outcome}",
        f"dispute:{dispute.ref}",
        actor=by,
        now=now,
        payload={
            "ref": dispute.ref,
            "entry": entry.ref,
            "outcome": outcome,
            "expedited": dispute.expedite_reason is not None,
        },
    )
    if entry.state == "suspended" and not _still_suspending(session, entry, dispute):
        entry.state, entry.updated_at = "active", now
        record(
            session,
            "entry:reinstated",
            f"entry:{entry.ref}",
            actor=by,
            now=now,
            payload={"ref": entry.ref, "from": "suspended"},
        )
    if dispute.appeal is not None:
        from .appeals import settle_if_done  # appeals build on disputes, not the other way round

        settle_if_done(session, dispute.appeal, now=now)


def _count_open(session: Session, entry: Entry, change: int) -> None:
    """Move the entry's open-dispute counter in the database (``SET open_disputes = open_disputes + 1``),
    never from a value read earlier: concurrent filings and closings of one entry each count once."""
    entry.open_disputes = case((Entry.open_disputes + change < 0, 0), else_=Entry.open_disputes + change)
    session.flush()  # the attribute holds SQL until flushed; reading it afterwards loads the new count


def _still_suspending(session: Session, entry: Entry, closing: Dispute) -> bool:
    return (
        session.scalar(
            select(Dispute.id).where(
                Dispute.entry_id == entry.id,
                Dispute.state != "closed",
                Dispute.id != closing.id,
                Dispute.suspended_entry_at.is_not(None),
            )
        )
        is not None
    )


def delist(session: Session, entry: Entry, *, actor: str, now: datetime, reason: str) -> None:
    """Upheld: the entry stops matching at once and its identifier hashes are deleted."""
    if entry.state in ENDED_STATES:
        return
    previous = entry.state
    end_listing(entry, "delisted", reason=reason, now=now)
    session.flush()
    purge_identifiers(session, [entry.id], now)
    record(
        session,
        "entry:delisted" if previous != "held" else "entry:hold_delisted",  # never published: not in the feed
        f"entry:{entry.ref}",
        actor=actor,
        now=now,
        payload={"ref": entry.ref, "from": previous},
    )


def moot_others(session: Session, entry: Entry, deciding: Dispute | None, *, actor: str, now: datetime) -> int:
    """Once an entry has ended, its other open disputes have nothing left to decide."""
    session.flush()
    query = select(Dispute).where(Dispute.entry_id == entry.id, Dispute.state != "closed")
    if deciding is not None:
        query = query.where(Dispute.id != deciding.id)
    others = list(session.scalars(query))
    for other in others:
        close(session, other, "moot", by=actor, reason=f"The entry was {entry.state}.", now=now)
    return len(others)
