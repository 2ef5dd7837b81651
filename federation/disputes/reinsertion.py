"""What an overturned case leaves behind: a reinsertion guard on the person's identifiers.

Called once where a dispute ends against the listing: a reviewer upholds it (directly, or by
upholding the appeal that opened it), or the submitter answers ``retract``. A conceded dispute
guards like an upheld one: the submitter withdrew the listing rather than defend it, and a
listing withdrawn under challenge must not return unreviewed the next day, by its submitter or
another member. Disputes that end ``rejected`` or ``moot`` guard nothing.

The guard sees every piece of evidence of the case (the entry's, the dispute's, the submitter's
answer, the appellant's): a re-listing must bring something none of them had. For an appeal it
also watches the appellant's identifiers under every salt (``AppealIdentifier.stored_hashes``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..entries import guard
from .models import Dispute


def guard_overturned(session: Session, dispute: Dispute, *, cause: str, actor: str, now: datetime) -> None:
    """Guard the disputed entry's identifiers; call before the entry's own hashes are purged."""
    appeal = dispute.appeal
    evidence = [*dispute.evidence, *(dispute.answer_evidence or []), *(appeal.evidence if appeal else [])]
    guard.add_guard(
        session,
        dispute.entry,
        cause=cause,
        actor=actor,
        now=now,
        dispute_ref=dispute.ref,
        appeal_ref=appeal.ref if appeal else None,
        extra_hashes=[bytes.fromhex(h) for item in (appeal.identifiers if appeal else []) for h in item.stored_hashes],
        extra_evidence=[item["sha256"] for item in evidence],
        parties=[dispute.filed_by],
    )
