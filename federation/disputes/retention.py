"""How long a decided appeal keeps what the person told us (PIPL art. 19: no longer than needed).

A decided appeal is the record of a decision, and the decision stays: its number, dates, state,
the reviewer's reason and the evidence digests. What the person gave us stays only as long as
due process can still need it: the statement (also copied as the reason of the disputes the
appeal opened), the keyed hashes of their identifiers, and the keyed tag of their address.
Those are needed for the repeat rule (``APPEAL_REPEAT_DAYS``: a new appeal within 90 days needs
new evidence) and while anyone may still contest the outcome; after
``FEDERATION_APPEAL_RETENTION_DAYS`` (365) from the decision, ``federation tick`` erases them.
The reinsertion guard keeps its own copy of the hashes for its own period.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..events.service import record
from .models import Appeal, AppealIdentifier

ERASED = ""


def erase_decided_appeals(session: Session, *, days: int, now: datetime, actor: str = "system:tick") -> int:
    """Erase the statement, identifier hashes and address tag of appeals decided ``days`` ago or more."""
    due = list(
        session.scalars(
            select(Appeal)
            .where(Appeal.decided_at <= now - timedelta(days=days), Appeal.erased_at.is_(None))
            .order_by(Appeal.id)
        )
    )
    for appeal in due:
        appeal.statement, appeal.client_tag, appeal.erased_at = ERASED, ERASED, now
        for dispute in appeal.disputes:
            dispute.reason = ERASED
        session.execute(delete(AppealIdentifier).where(AppealIdentifier.appeal_id == appeal.id))
        record(session, "appeal:erased", f"appeal:{appeal.ref}", actor=actor, now=now, payload={"ref": appeal.ref})
    session.flush()
    return len(due)
