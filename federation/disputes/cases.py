"""Appeals about the same identifier form one case, decided once for everyone in it.

Refusing a second appeal while one is open would let whoever files first about someone's
identifier (a squatter) keep that person out. So nobody is refused: when ``federation tick``
matches a new appeal, it joins the case of the oldest open appeal sharing one of its identifiers
(cases that the new appeal bridges merge into that one). A case is named by the ``ref`` of its
first appeal (``Appeal.case_ref``); the reviewer reads every appeal in it and decides them all
at once, and each appellant reads the decision on their own status page. Joining happens at
matching, not filing, so the answer to a filing cannot hint that someone else appealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..events.service import record
from ..locks import hold
from .models import APPEAL_OPEN_STATES, Appeal, AppealIdentifier, Dispute


def serialise(session: Session) -> None:
    """Hold the appeal-case lock until the transaction ends. Taken first by everything that joins
    appeals to cases or closes them (matching, an appeal's decision, a dispute's answer or decision,
    ``federation tick``), so an appeal never joins a case that another transaction is closing and
    two ticks never build two open cases for one identifier. One lock, not one per identifier: these
    steps are rare (a reviewer's click, a tick a minute) and a single lock cannot deadlock."""
    hold(session, "appeal-cases")


@dataclass(frozen=True, slots=True)
class Case:
    ref: str
    appeals: list[Appeal]

    @property
    def decide_by(self) -> datetime:
        return min(appeal.decide_by for appeal in self.appeals)

    @property
    def disputes(self) -> list[Dispute]:
        return [dispute for appeal in self.appeals for dispute in appeal.disputes]


def all_disputes(session: Session, case_ref: str) -> list[Dispute]:
    """Every dispute the case's appeals opened, decided or not: who is a party to the case."""
    return list(
        session.scalars(select(Dispute).join(Appeal, Appeal.id == Dispute.appeal_id).where(Appeal.case_ref == case_ref))
    )


def join_open_case(session: Session, appeal: Appeal, *, now: datetime) -> None:
    """Put ``appeal`` (and any case it bridges) into the case of the oldest open appeal sharing an identifier."""
    tags = [item.tag for item in appeal.identifiers]
    found = session.scalars(
        select(Appeal.case_ref)
        .join(AppealIdentifier, AppealIdentifier.appeal_id == Appeal.id)
        .where(AppealIdentifier.tag.in_(tags), Appeal.state.in_(APPEAL_OPEN_STATES))
        .order_by(Appeal.id)
    ).all()  # ``appeal`` itself among them
    lead = found[0]
    merged = set(found) - {lead}
    if not merged:
        return
    session.execute(
        update(Appeal)
        .where(Appeal.case_ref.in_(merged), Appeal.state.in_(APPEAL_OPEN_STATES))
        .values(case_ref=lead)
        .execution_options(synchronize_session="fetch")
    )
    record(session, "appeal:joined", f"appeal:{appeal.ref}", actor="system:tick", now=now, payload={"case": lead})


def open_case(session: Session, case_ref: str) -> Case:
    """The open appeals of a case, oldest first."""
    appeals = session.scalars(
        select(Appeal).where(Appeal.case_ref == case_ref, Appeal.state.in_(APPEAL_OPEN_STATES)).order_by(Appeal.id)
    ).all()
    return Case(case_ref, list(appeals))


def by_case(appeals: list[Appeal]) -> list[Case]:
    """Group a queue of appeals into cases, the case with the earliest deadline first."""
    grouped: dict[str, list[Appeal]] = {}
    for appeal in appeals:
        grouped.setdefault(appeal.case_ref, []).append(appeal)
    return sorted((Case(ref, members) for ref, members in grouped.items()), key=lambda case: case.decide_by)
