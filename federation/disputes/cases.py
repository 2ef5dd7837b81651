"""The whole case, as a reviewer reads it before deciding.

A reviewer must not decide from a summary: it sees the entry as listed (category, tier,
amount, dates, evidence digests, the dual-review record, the listing member), the dispute
(reason, evidence, who filed it), the submitter's answer, and for an appeal the appellant's
statement and the files they uploaded, with what is overdue and whether the reviewer's own
member is a party (``fairness.py``: it may read the case, but not decide it).

Only reviewers reach these functions (scope ``review``); the parties' views are the schemas
in ``api/schemas/disputes.py``, which name neither party.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ..errors import NotFound
from .appeals import get_appeal
from .fairness import conflicted
from .models import APPEAL_OPEN_STATES, Appeal, Dispute
from .service import get_dispute


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
    conflict_of_interest: bool


@dataclass(frozen=True, slots=True)
class AppealCase:
    appeal: Appeal
    files: list[EvidenceFile]
    decision_overdue: bool
    disputes: list[DisputeCase]
    #: The reviewer's member listed one of the matched entries: it may not decide this appeal.
    conflict_of_interest: bool


def evidence_files(evidence: list[dict[str, Any]], folder: Path) -> list[EvidenceFile]:
    return [
        EvidenceFile(item["kind"], item["sha256"], item.get("size"), (folder / item["sha256"]).is_file())
        for item in evidence
    ]


def case_of(dispute: Dispute, reviewer: str, *, now: datetime, folder: Path) -> DisputeCase:
    is_open = dispute.state != "closed"
    return DisputeCase(
        dispute=dispute,
        appeal_files=evidence_files(dispute.appeal.evidence, folder) if dispute.appeal else [],
        answer_overdue=is_open and dispute.answered_at is None and dispute.respond_by <= now,
        decision_overdue=is_open and dispute.decide_by <= now,
        conflict_of_interest=conflicted(dispute, reviewer),
    )


def dispute_case(session: Session, ref: str, reviewer: str, *, now: datetime, folder: Path) -> DisputeCase:
    return case_of(get_dispute(session, ref), reviewer, now=now, folder=folder)


def appeal_case(session: Session, ref: str, reviewer: str, *, now: datetime, folder: Path) -> AppealCase:
    appeal = get_appeal(session, ref)
    cases = [case_of(dispute, reviewer, now=now, folder=folder) for dispute in appeal.disputes]
    return AppealCase(
        appeal=appeal,
        files=evidence_files(appeal.evidence, folder),
        decision_overdue=appeal.state in APPEAL_OPEN_STATES and appeal.decide_by <= now,
        disputes=cases,
        conflict_of_interest=any(case.conflict_of_interest for case in cases),
    )


def evidence_file(session: Session, ref: str, sha256: str, *, folder: Path) -> Path:
    """The stored file of one of the appeal's declared digests; 404 for any other name.

    Only a digest the appeal declared is looked up, so the name can never leave ``folder``.
    """
    appeal = get_appeal(session, ref)
    if sha256 in {item["sha256"] for item in appeal.evidence}:
        path = folder / sha256
        if path.is_file():
            return path
    raise NotFound(f"Appeal {ref} holds no file with SHA-256 {sha256}.", code="evidence_not_found")
