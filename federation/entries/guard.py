"""The reinsertion guard: a listing overturned in due process does not silently come back.

Modelled on FCRA section 1681i(a)(5)(B) and China's credit-reporting rules: once a dispute or
appeal is upheld (or the submitter concedes one), a new listing of the same identifiers by *any*
member, for ``FEDERATION_REINSERTION_GUARD_DAYS`` (default 180) after the decision, is accepted
as ``held``: it matches nothing until a reviewer approves it, and a reviewer may approve only a
listing that brings evidence not seen in the overturned case and its submitter's certification
(``holds.py``). The submitter is told only that the listing is held for review.

The guard keeps its own copy of the overturned entry's stored hashes (the entry's are deleted at
delisting), plus, for an appeal, the appellant's identifiers under every salt: a re-listing under
another salt is caught too. ``federation tick`` deletes the copy when the period ends
(:func:`purge_guards`); the case (references, evidence digests) stays as history.

The disputes layer creates guards (``disputes/reinsertion.py``); this module never reads disputes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..events.service import record
from . import rules
from .models import Entry, EntryHold, EntryIdentifier, ReinsertionGuard, ReinsertionGuardHash

#: A network is shared by neighbours: guarding it would hold their listings for one person's case
#: (appeals cannot name one either, for the same reason).
UNGUARDED_TYPES = ("ip_net",)


def add_guard(
    session: Session,
    entry: Entry,
    *,
    cause: str,
    actor: str,
    now: datetime,
    dispute_ref: str | None = None,
    appeal_ref: str | None = None,
    extra_hashes: Iterable[bytes] = (),
    extra_evidence: Iterable[str] = (),
    parties: Iterable[str | None] = (),
) -> ReinsertionGuard:
    """Guard ``entry``'s identifiers from now on. Call it before the entry's hashes are purged."""
    session.flush()
    hashes: dict[bytes, str | None] = {value: None for value in extra_hashes}
    hashes.update(
        session.execute(
            select(EntryIdentifier.stored_hash, EntryIdentifier.key_id).where(
                EntryIdentifier.entry_id == entry.id, EntryIdentifier.type.not_in(UNGUARDED_TYPES)
            )
        ).all()
    )
    guard = ReinsertionGuard(
        entry=entry,
        cause=cause,
        dispute_ref=dispute_ref,
        appeal_ref=appeal_ref,
        seen_evidence=sorted({item.sha256 for item in entry.evidence} | set(extra_evidence)),
        parties=sorted({entry.member_id, *(party for party in parties if party)}),
        created_at=now,
        hashes=[ReinsertionGuardHash(stored_hash=value, key_id=hashes[value]) for value in sorted(hashes)],
    )
    session.add(guard)
    record(
        session,
        "entry:guarded",
        f"entry:{entry.ref}",
        actor=actor,
        now=now,
        payload={"ref": entry.ref, "cause": cause, "dispute": dispute_ref, "appeal": appeal_ref},
    )
    return guard


def live_guards(session: Session, stored_hashes: list[bytes], *, days: int, now: datetime) -> list[ReinsertionGuard]:
    """Guards still in their period that watch any of ``stored_hashes`` (``rules.guard_live``, in SQL)."""
    if not stored_hashes:
        return []
    watching = select(ReinsertionGuardHash.guard_id).where(ReinsertionGuardHash.stored_hash.in_(stored_hashes))
    return list(
        session.scalars(
            select(ReinsertionGuard)
            .where(ReinsertionGuard.id.in_(watching), ReinsertionGuard.created_at > now - timedelta(days=days))
            .order_by(ReinsertionGuard.id)
        )
    )


def hold_if_needed(
    session: Session, entry: Entry, submission: rules.Submission, *, policy: rules.Policy, now: datetime
) -> EntryHold | None:
    """A new entry is ``held`` if it hits a live guard (``reinsertion``), or if drawn for a quality
    check (``sample``, ``FEDERATION_HOLD_SAMPLE_RATE``). The submitter sees the same ``held`` either
    way: the samples are what keep a hold from telling anyone that a person was listed before."""
    guards = live_guards(
        session, [item.stored_hash for item in entry.identifiers], days=policy.reinsertion_guard_days, now=now
    )
    if guards:
        seen = {digest for guard in guards for digest in guard.seen_evidence}
        return _hold(entry, submission, "reinsertion", guards, sorted({e.sha256 for e in entry.evidence} - seen), now)
    if secrets.randbelow(1_000_000) < policy.hold_sample_rate * 1_000_000:
        return hold_for_review(entry, submission, "sample", now)
    return None


def hold_for_review(entry: Entry, submission: rules.Submission, cause: str, now: datetime) -> EntryHold:
    """A hold with nothing to check but a reviewer's look (``sample``, ``volume``)."""
    return _hold(entry, submission, cause, [], sorted(e.sha256 for e in entry.evidence), now)


def _hold(
    entry: Entry,
    submission: rules.Submission,
    cause: str,
    guards: list[ReinsertionGuard],
    new_evidence: list[str],
    now: datetime,
) -> EntryHold:
    certification = submission.certification
    entry.state, entry.listed_at = "held", None
    return EntryHold(
        entry=entry,
        cause=cause,
        state="pending",
        guard_ids=[guard.id for guard in guards],
        new_evidence=new_evidence,
        certified=certification is not None,
        certification=certification.statement if certification else None,
        created_at=now,
    )


def purge_guards(session: Session, *, days: int, now: datetime, actor: str = "system:tick") -> int:
    """Delete the hashes of guards whose period has ended; the case stays, matching nothing."""
    ended = list(
        session.scalars(
            select(ReinsertionGuard).where(
                ReinsertionGuard.purged_at.is_(None), ReinsertionGuard.created_at <= now - timedelta(days=days)
            )
        )
    )
    if not ended:
        return 0
    session.execute(delete(ReinsertionGuardHash).where(ReinsertionGuardHash.guard_id.in_([g.id for g in ended])))
    for guard in ended:
        guard.purged_at = now
        record(
            session, "entry:guard_ended", f"entry:{guard.entry.ref}", actor=actor, now=now,
            payload={"ref": guard.entry.ref},
        )  # fmt: skip
    session.flush()
    return len(ended)
