"""Listing, reading, retracting and expiring entries.

Plain functions over a session, the acting member, the policy, the
identifier secrets and a clock. Every change records its event in the same
transaction; functions flush, the request or CLI boundary commits.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..errors import Conflict, NotFound, ValidationFailed, field_error
from ..events.service import record
from ..identifiers.secrets import IdentifierSecrets
from ..warninglists.screening import screen
from . import guard, rules, surge
from .models import Entry, EntryIdentifier, Evidence

ENDED_STATES = ("retracted", "delisted", "expired", "rejected")


@dataclass(frozen=True, slots=True)
class SubmitResult:
    entry: Entry
    created: bool


def new_ref() -> str:
    """An opaque, unguessable public reference (``E`` + 16 base32 characters)."""
    return "E" + base64.b32encode(secrets.token_bytes(10)).decode("ascii")


def submit(
    session: Session,
    member_id: str,
    submission: rules.Submission,
    *,
    policy: rules.Policy,
    identifier_secrets: IdentifierSecrets,
    now: datetime,
    idempotency_key: str | None = None,
) -> SubmitResult:
    """List a confirmed offender, or return the entry an identical earlier request created.

    A listing of identifiers under a reinsertion guard is accepted as ``held`` (``guard.py``): it
    matches nothing and stays out of the change feed until a reviewer approves it.
    """
    found = rules.problems(submission, policy, now)
    if found:
        raise ValidationFailed("The entry breaks the submission rules; see errors.", errors=found)
    digest = rules.content_hash(submission)
    existing = _existing(session, member_id, submission.case_ref, idempotency_key)
    if existing is not None:
        return _replayed(existing, submission)
    entry = _new_entry(member_id, submission, digest, policy, identifier_secrets, now, idempotency_key)
    # Warninglists (issue 13): refuse a never-list value (422), or mark it down-weighted.
    slots = rules.identifier_slots(submission.identifiers)
    screen(session, [(pointer, row) for (_, pointer, _), row in zip(slots, entry.identifiers, strict=True)])
    hold = guard.hold_if_needed(session, entry, submission, policy=policy, now=now)
    if surge.admit(session, entry, rules=policy.surge, hold=hold, now=now):  # beyond its own baseline
        hold = guard.hold_for_review(entry, submission, "volume", now)
    try:
        with session.begin_nested():
            session.add_all([entry] if hold is None else [entry, hold])
    except IntegrityError:  # a concurrent request with the same case_ref or key won
        existing = _existing(session, member_id, submission.case_ref, idempotency_key)
        if existing is None:
            raise
        return _replayed(existing, submission)
    if hold is None:
        record_listed(session, entry, actor=member_id, now=now)
    else:
        record(session, "entry:held", f"entry:{entry.ref}", actor=member_id, now=now, payload={"ref": entry.ref})
    session.flush()
    return SubmitResult(entry, created=True)


def record_listed(session: Session, entry: Entry, *, actor: str, now: datetime) -> None:
    """``entry:listed``, the change every member mirrors: at submission, or when a reviewer approves a hold."""
    record(
        session,
        "entry:listed",
        f"entry:{entry.ref}",
        actor=actor,
        now=now,
        payload={
            "ref": entry.ref,
            "category": entry.category,
            "tier": entry.tier,
            "identifier_types": sorted({i.type for i in entry.identifiers}),
            "evidence": len(entry.evidence),
            "expires_at": entry.expires_at.isoformat(),
        },
    )


def end_tag(previous: str, state: str) -> str:
    """The event tag of an entry's end. A held entry was never published, so its end stays out of the
    change feed: ``entry:hold_retracted``, ``entry:hold_expired`` instead of ``entry:retracted``, ..."""
    return f"entry:hold_{state}" if previous == "held" else f"entry:{state}"


def _existing(session: Session, member_id: str, case_ref: str | None, idempotency_key: str | None) -> Entry | None:
    query = select(Entry).where(Entry.member_id == member_id)
    if idempotency_key is not None:
        by_key = session.scalars(query.where(Entry.idempotency_key == idempotency_key)).first()
        if by_key is not None:
            return by_key
    if case_ref is None:
        return None
    return session.scalars(query.where(Entry.case_ref == case_ref)).first()


def _replayed(existing: Entry, submission: rules.Submission) -> SubmitResult:
    if not rules.is_resend(submission, existing.content_hash):  # the same case, maybe hashed under more salts
        raise Conflict(
            f"That case ({existing.case_ref or 'same Idempotency-Key'}) is already listed as {existing.ref} "
            "with different content.",
            code="idempotency_conflict",
        )
    return SubmitResult(existing, created=False)


def _new_entry(
    member_id: str,
    submission: rules.Submission,
    digest: str,
    policy: rules.Policy,
    identifier_secrets: IdentifierSecrets,
    now: datetime,
    idempotency_key: str | None,
) -> Entry:
    review = submission.review
    return Entry(
        ref=new_ref(),
        member_id=member_id,
        case_ref=submission.case_ref,
        idempotency_key=idempotency_key,
        content_hash=digest,
        category=submission.category,
        tier=submission.tier,
        amount=submission.amount,
        currency=submission.currency,
        occurred_at=submission.occurred_at,
        expires_at=rules.expires_at(submission, policy),
        state="active",
        ai_score=review.ai_score,
        ai_model=review.ai_model,
        human_reviewer=review.human_reviewer,
        reviewed_at=review.reviewed_at,
        created_at=now,
        listed_at=now,
        updated_at=now,
        identifiers=[
            EntryIdentifier(
                position=position,  # the hashes of one identifier under several salts share it
                type=item.type,
                key_id=item.key_id,
                stored_hash=identifier_secrets.stored_hash(item.key_id, item.type, item.hash),
            )
            for position, _, item in rules.identifier_slots(submission.identifiers)
        ],
        evidence=[
            Evidence(
                position=index,
                kind=item.kind,
                sha256=item.sha256,
                size=item.size,
                captured_at=item.captured_at,
                uri=item.uri,
            )
            for index, item in enumerate(submission.evidence)
        ],
    )


def get_own_entry(session: Session, member_id: str, ref: str) -> Entry:
    """A member's own entry. Another member's is "not found": its existence is not revealed."""
    entry = session.scalars(
        select(Entry)
        .where(Entry.ref == ref, Entry.member_id == member_id)
        .options(selectinload(Entry.identifiers), selectinload(Entry.evidence))
    ).first()
    if entry is None:
        raise NotFound(f"You have no entry {ref}.", code="entry_not_found")
    return entry


def encode_cursor(entry_id: int) -> str:
    return base64.urlsafe_b64encode(f"e{entry_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("e"):
            raise ValueError(cursor)
        entry_id = int(text[1:])
        if not 0 < entry_id < 2**63:  # beyond a BIGINT the database would fail, not answer
            raise ValueError(cursor)
        return entry_id
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(
            "Malformed cursor.",
            errors=[field_error("/cursor", "Use the next_cursor of a previous page.", location="query")],
        ) from None


def list_own_entries(
    session: Session,
    member_id: str,
    *,
    limit: int,
    cursor: str | None = None,
    state: str | None = None,
    category: str | None = None,
    tier: int | None = None,
    case_ref: str | None = None,
) -> tuple[list[Entry], str | None]:
    """Newest first, ``limit`` a page; the cursor continues after the last entry returned."""
    query = select(Entry).where(Entry.member_id == member_id)
    if cursor:
        query = query.where(Entry.id < decode_cursor(cursor))
    for column, value in (
        (Entry.state, state),
        (Entry.category, category),
        (Entry.tier, tier),
        (Entry.case_ref, case_ref),
    ):
        if value is not None:
            query = query.where(column == value)
    rows = list(
        session.scalars(
            query.order_by(Entry.id.desc())
            .limit(limit + 1)
            .options(selectinload(Entry.identifiers), selectinload(Entry.evidence))
        )
    )
    page = rows[:limit]
    return page, encode_cursor(page[-1].id) if len(rows) > limit else None


def end_listing(entry: Entry, state: str, *, reason: str, now: datetime) -> None:
    """Move an entry to an end state (retracted, expired, delisted): it stops matching at once."""
    if state not in ENDED_STATES:
        raise ValueError(f"{state} is not an end state")
    entry.state, entry.ended_at, entry.end_reason, entry.updated_at = state, now, reason, now


def retract(session: Session, member_id: str, ref: str, *, reason: str, now: datetime) -> Entry:
    """The submitter withdraws its entry; it stops matching at once. Retracting twice is a no-op.

    Withdrawing an entry while it is disputed concedes the dispute: its identifiers are guarded
    against re-listing as if the submitter had answered ``retract`` (docs/disputes.md).
    """
    entry = get_own_entry(session, member_id, ref)
    if entry.state == "retracted":
        return entry
    if entry.state in ENDED_STATES:
        raise Conflict(f"Entry {ref} is already {entry.state}.", code="entry_ended")
    if entry.open_disputes:
        guard.add_guard(session, entry, cause="retracted", actor=member_id, now=now)
    withdraw(session, entry, actor=member_id, reason=reason, now=now)
    session.flush()
    return entry


def withdraw(session: Session, entry: Entry, *, actor: str, reason: str, now: datetime) -> None:
    """End a live entry as retracted and record it (a retraction, or a submitter's answer to a dispute)."""
    previous = entry.state
    end_listing(entry, "retracted", reason=reason, now=now)
    record(
        session,
        end_tag(previous, "retracted"),
        f"entry:{entry.ref}",
        actor=actor,
        now=now,
        payload={"ref": entry.ref, "from": previous, "reason": reason},
    )


@dataclass(frozen=True, slots=True)
class BatchItemResult:
    index: int
    status: str  # created | existing | rejected | conflict
    entry: Entry | None = None
    code: str | None = None
    detail: str | None = None
    errors: list[dict[str, str]] | None = None


def submit_batch(
    session: Session,
    member_id: str,
    items: list[rules.Submission | list[dict[str, str]]],
    *,
    policy: rules.Policy,
    identifier_secrets: IdentifierSecrets,
    now: datetime,
) -> list[BatchItemResult]:
    """Each item accepted or rejected on its own; items that failed the wire schema arrive as errors."""
    results: list[BatchItemResult] = []
    for index, item in enumerate(items):
        if isinstance(item, list):
            results.append(BatchItemResult(index, "rejected", code="validation_failed", errors=item))
            continue
        try:
            outcome = submit(session, member_id, item, policy=policy, identifier_secrets=identifier_secrets, now=now)
        except ValidationFailed as error:
            results.append(
                BatchItemResult(index, "rejected", code=error.code, detail=error.detail, errors=error.errors)
            )
        except Conflict as error:
            results.append(BatchItemResult(index, "conflict", code=error.code, detail=error.detail))
        else:
            results.append(BatchItemResult(index, "created" if outcome.created else "existing", entry=outcome.entry))
    return results
