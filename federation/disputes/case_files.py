"""The whole case, as a reviewer reads it before deciding.

A reviewer must not decide from a summary: it sees the entry as listed (category, tier,
amount, dates, evidence digests, the dual-review record, the listing member), the dispute
(reason, evidence, who filed it), the submitter's answer, and for an appeal the appellant's
statement and the files they uploaded, and what is overdue.

Only reviewers reach these functions (scope ``review``); the parties' views are the schemas
in ``api/schemas/disputes.py``, which name neither party. A reviewer whose own member is a
party (``fairness.py``) is a party, not a reviewer, for that case: it sees a dispute as the
parties do, and an appeal's case and files not at all (403 ``conflict_of_interest``), so the
review role never tells a member who disputed its entry or who else listed the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ..errors import Forbidden, NotFound
from . import appeals as appeal_service
from . import cases
from .appeals import get_appeal
from .fairness import conflicted_in
from .models import Appeal, Dispute
from .service import get_dispute, overdue, review_queue, visible_dispute


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    """A digest the appellant declared, and whether its file is held (uploaded, not yet erased)."""

    kind: str
    sha256: str
    size: int | None
    stored: bool


@dataclass(frozen=True, slots=True)
class DisputeCase:
    dispute: Dispute
    #: The appellant's evidence, for a dispute an appeal opened; empty otherwise.
    appeal_files: list[EvidenceFile]
    #: The submitter did not answer by ``respond_by``.
    answer_overdue: bool
    #: Not decided by ``decide_by``: the entry is suspended meanwhile (``deadlines.py``).
    decision_overdue: bool


@dataclass(frozen=True, slots=True)
class AppealCase:
    appeal: Appeal
    files: list[EvidenceFile]
    decision_overdue: bool
    disputes: list[DisputeCase]


def evidence_files(evidence: list[dict[str, Any]], folder: Path) -> list[EvidenceFile]:
    return [
        EvidenceFile(item["kind"], item["sha256"], item.get("size"), (folder / item["sha256"]).is_file())
        for item in evidence
    ]


def case_of(dispute: Dispute, *, now: datetime, folder: Path) -> DisputeCase:
    is_open = dispute.state != "closed"
    return DisputeCase(
        dispute=dispute,
        appeal_files=evidence_files(dispute.appeal.evidence, folder) if dispute.appeal else [],
        # After its deadline the tick moves an unanswered dispute on to review: that too is a missed answer.
        answer_overdue=is_open
        and dispute.answered_at is None
        and (dispute.respond_by <= now or dispute.state == "awaiting_review"),
        decision_overdue=overdue(dispute, now),
    )


def dispute_view(
    session: Session, ref: str, member_id: str, *, reviewer: bool, now: datetime, folder: Path
) -> DisputeCase | Dispute:
    """The case for an impartial reviewer; for a party (a conflicted reviewer included), the dispute alone."""
    if reviewer:
        dispute = get_dispute(session, ref)
        if not conflicted_in(party_disputes(session, dispute), member_id):
            return case_of(dispute, now=now, folder=folder)
    return visible_dispute(session, ref, member_id, reviewer=False)


def party_disputes(session: Session, dispute: Dispute) -> list[Dispute]:
    """The disputes whose parties are parties to this one: its appeal case's, or itself alone."""
    return cases.all_disputes(session, dispute.appeal.case_ref) if dispute.appeal is not None else [dispute]


def appeal_case(session: Session, ref: str, reviewer: str, *, now: datetime, folder: Path) -> AppealCase:
    appeal = _impartial_appeal(session, ref, reviewer)
    return AppealCase(
        appeal=appeal,
        files=evidence_files(appeal.evidence, folder),
        decision_overdue=overdue(appeal, now),
        disputes=[case_of(dispute, now=now, folder=folder) for dispute in cases.all_disputes(session, appeal.case_ref)],
    )


def evidence_file(session: Session, ref: str, sha256: str, reviewer: str, *, folder: Path) -> Path:
    """The stored file of one of the appeal's declared digests; 404 for any other name.

    Only a digest the appeal declared is looked up, so the name can never leave ``folder``.
    """
    appeal = _impartial_appeal(session, ref, reviewer)
    if sha256 in {item["sha256"] for item in appeal.evidence}:
        path = folder / sha256
        if path.is_file():
            return path
    raise NotFound(f"Appeal {ref} holds no file with SHA-256 {sha256}.", code="evidence_not_found")


def _impartial_appeal(session: Session, ref: str, reviewer: str) -> Appeal:
    appeal = get_appeal(session, ref)
    if conflicted_in(cases.all_disputes(session, appeal.case_ref), reviewer):
        raise Forbidden(
            f"Your member listed an entry appeal {ref} matched: another reviewer handles it.",
            code="conflict_of_interest",
        )
    return appeal


def dispute_queue(session: Session, reviewer: str) -> list[Dispute]:
    """The disputes waiting for a decision that ``reviewer`` may decide: a case its member is party to
    is not shown at all, since its refs alone would tell who else listed or disputed the person."""
    conflicted_cases = _conflicted_cases(session, reviewer)
    return [
        d
        for d in review_queue(session)
        if not (conflicted_cases(d.appeal.case_ref) if d.appeal is not None else conflicted_in([d], reviewer))
    ]


def appeal_queue(session: Session, reviewer: str) -> list[Appeal]:
    """The open appeals ``reviewer`` may decide (none of whose case it is party to)."""
    conflicted_cases = _conflicted_cases(session, reviewer)
    return [appeal for appeal in appeal_service.review_queue(session) if not conflicted_cases(appeal.case_ref)]


def _conflicted_cases(session: Session, reviewer: str):
    """``case_ref -> whether reviewer is party to it``, each case read once however many queue rows share it."""
    known: dict[str, bool] = {}

    def conflicted(case_ref: str) -> bool:
        if case_ref not in known:
            known[case_ref] = conflicted_in(cases.all_disputes(session, case_ref), reviewer)
        return known[case_ref]

    return conflicted
