"""Public delisting appeals: filed without credentials, and never an oracle.

Anyone may claim an identifier is theirs, so the answer to an appeal must not
say whether it is listed. Filing therefore does the same work either way:
normalise, key-hash, check limits, store, answer 202 with an id and a status
token. Matching against the list happens afterwards, in ``federation tick``
(``match_received``), and every appeal then moves to ``under_review`` whether
or not anything matched; ``closed_no_match`` is said only by a reviewer.

The raw identifiers are normalised, hashed and dropped inside
:func:`file_appeal`; only keyed hashes are stored (``AppealIdentifier``).

Nobody is refused for appealing second: appeals about the same identifier join one case
(``cases.py``), and a retried filing returns the first one with a working code
(``status_codes.py``).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..entries.models import Entry, EntryIdentifier
from ..errors import Conflict, NotFound, TooManyRequests, ValidationFailed, field_error
from ..events.service import record
from ..identifiers import InvalidIdentifier, hash_normalized, normalize
from ..identifiers.secrets import IdentifierSecrets
from ..locks import hold
from . import cases
from . import service as disputes
from .contact import ContactBox
from .fairness import answer_pending, check_may_decide
from .models import APPEAL_OPEN_STATES, Appeal, AppealIdentifier
from .service import Deadlines, new_ref
from .status_codes import current, idempotency_tag, issue, token_hash

#: Appeals name the identifiers people actually have; a network (``ip_net``) would reach neighbours.
APPEALABLE_TYPES = ("phone", "national_id", "device", "ip", "email")
DECISIONS = ("upheld", "rejected", "closed_no_match")
#: Entries an appeal opens a case against: whatever may match now, or once a reviewer approves it.
APPEALABLE_STATES = ("active", "suspended", "held")


@dataclass(frozen=True, slots=True)
class AppealLimits:
    per_address_hourly: int = 5
    #: Appeals about one identifier from one client address per day: a person retrying from home.
    per_identifier_daily: int = 3
    #: Appeals about one identifier from all addresses per day: a flood's ceiling. Counting only
    #: this would let anyone who files 3 bogus appeals a day about a person's phone lock the
    #: person out; counting per address as well makes squatting take this many addresses.
    per_identifier_daily_all: int = 20
    repeat_days: int = 90
    max_identifiers: int = 5

    @classmethod
    def from_config(cls, config: Any) -> AppealLimits:
        return cls(
            int(config["APPEAL_RATE_PER_ADDRESS_HOURLY"]),
            int(config["APPEAL_RATE_PER_IDENTIFIER_DAILY"]),
            int(config["APPEAL_RATE_PER_IDENTIFIER_DAILY_ALL"]),
            int(config["APPEAL_REPEAT_DAYS"]),
            int(config["APPEAL_MAX_IDENTIFIERS"]),
        )


@dataclass(frozen=True, slots=True)
class FiledAppeal:
    appeal: Appeal
    #: Shown once (and again to a retry with the same idempotency key); only its SHA-256 is kept.
    status_token: str


def _normalize_each(
    raw_identifiers: list[tuple[str, str]], default_region: str
) -> tuple[list[tuple[str, str]], list[dict[str, str]]]:
    """Each identifier normalised, or a field error (with the spec's code) saying what is wrong with it."""
    normalized, errors = [], []
    for index, (type_, raw) in enumerate(raw_identifiers):
        if type_ not in APPEALABLE_TYPES:
            errors.append(
                field_error(
                    f"/identifiers/{index}/type", f"One of: {', '.join(APPEALABLE_TYPES)}.", code="type.unknown"
                )
            )
            continue
        try:
            normalized.append((type_, normalize(type_, raw, default_region=default_region)))
        except InvalidIdentifier as error:
            errors.append(field_error(f"/identifiers/{index}/value", error.reason, code=error.code))
    return normalized, errors


def identifier_errors(raw_identifiers: list[tuple[str, str]], default_region: str) -> list[dict[str, str]]:
    """What :func:`file_appeal` would refuse in these identifiers, without filing anything: the page
    says it together with the form's other problems, so the person corrects everything at once."""
    return _normalize_each(raw_identifiers, default_region)[1]


def _hashed_identifiers(
    raw_identifiers: list[tuple[str, str]], secrets_: IdentifierSecrets, default_region: str
) -> list[AppealIdentifier]:
    normalized, errors = _normalize_each(raw_identifiers, default_region)
    if errors:
        raise ValidationFailed("Some identifiers are not valid; see errors.", errors=errors)
    hashed = []
    for type_, value in normalized:
        stored = [
            secrets_.stored_hash(key_id, type_, hash_normalized(type_, value, salt)).hex()
            for key_id, salt in sorted(secrets_.salts.items())
        ]
        hashed.append(
            AppealIdentifier(type=type_, tag=secrets_.keyed_tag(f"appeal\0{type_}", value), stored_hashes=stored)
        )
    return hashed


def file_appeal(
    session: Session,
    *,
    identifiers: list[tuple[str, str]],
    statement: str,
    contact: str,
    evidence: list[dict[str, Any]],
    client_address: str,
    language: str,
    now: datetime,
    identifier_secrets: IdentifierSecrets,
    contact_box: ContactBox,
    limits: AppealLimits,
    deadlines: Deadlines,
    default_region: str,
    idempotency_key: str | None = None,
) -> FiledAppeal:
    """Store an appeal; the same work and the same answer whether or not anything is listed.

    With an ``idempotency_key``, a retry of the same filing (same key, same content) returns the
    appeal the first one stored and its working code, even when the retries race.
    """
    if not 1 <= len(identifiers) <= limits.max_identifiers:
        raise ValidationFailed(
            "Name 1 to 5 identifiers.",
            errors=[field_error("/identifiers", f"1 to {limits.max_identifiers} items.", code="identifiers.count")],
        )
    hashed = _hashed_identifiers(identifiers, identifier_secrets, default_region)
    del identifiers  # the raw values go no further than this function
    client_tag = identifier_secrets.keyed_tag("client", client_address)
    # Count and insert as one step: filings that share the address or an identifier wait here in
    # turn (``locks.py``), so a limit of 5 lets 5 through however many race. The same locks are
    # taken whether or not anything is listed; a racing retry then finds the first filing below.
    hold(session, f"appeal-client:{client_tag}", *(f"appeal-identifier:{item.tag}" for item in hashed))
    idempotency = None
    if idempotency_key is not None:
        said = {"statement": statement, "contact": contact, "language": language, "evidence": evidence}
        idempotency = idempotency_tag(identifier_secrets, idempotency_key, [item.tag for item in hashed], said)
        replayed = _replayed(session, idempotency, identifier_secrets)
        if replayed is not None:
            return replayed
    _check_limits(session, client_tag, hashed, evidence, limits, now)
    ref = new_ref("A")
    appeal = Appeal(
        ref=ref,
        case_ref=ref,
        idempotency_tag=idempotency,
        token_generation=0,
        state="received",
        statement=statement,
        contact_encrypted=contact_box.seal(contact),
        evidence=evidence,
        client_tag=client_tag,
        language=language,
        created_at=now,
        updated_at=now,
        decide_by=deadlines.appeal_decide_by(now),
        identifiers=hashed,
    )
    token = issue(appeal, identifier_secrets)
    try:
        with session.begin_nested():
            session.add(appeal)
    except IntegrityError:  # a concurrent retry of the same filing won
        replayed = _replayed(session, idempotency, identifier_secrets) if idempotency else None
        if replayed is None:
            raise
        return replayed
    record(session, "appeal:received", f"appeal:{appeal.ref}", actor="public", now=now, payload={"ref": appeal.ref})
    return FiledAppeal(appeal, token)


def _replayed(session: Session, idempotency: str, identifier_secrets: IdentifierSecrets) -> FiledAppeal | None:
    appeal = session.scalar(select(Appeal).where(Appeal.idempotency_tag == idempotency))
    return None if appeal is None else FiledAppeal(appeal, current(appeal, identifier_secrets))


def _check_limits(
    session: Session,
    client_tag: str,
    hashed: list[AppealIdentifier],
    evidence: list[dict[str, Any]],
    limits: AppealLimits,
    now: datetime,
) -> None:
    recent = session.scalar(
        select(func.count())
        .select_from(Appeal)
        .where(Appeal.client_tag == client_tag, Appeal.created_at > now - timedelta(hours=1))
    )
    if recent >= limits.per_address_hourly:
        raise TooManyRequests("Too many appeals from this address; try again later.", headers={"Retry-After": "3600"})
    tags = [item.tag for item in hashed]
    earlier = session.execute(
        select(Appeal.id, Appeal.client_tag, Appeal.state, Appeal.created_at, Appeal.evidence)
        .join(AppealIdentifier, AppealIdentifier.appeal_id == Appeal.id)
        .where(AppealIdentifier.tag.in_(tags), Appeal.created_at > now - timedelta(days=limits.repeat_days))
    ).all()
    today = {row.id: row.client_tag for row in earlier if row.created_at > now - timedelta(days=1)}
    from_here = sum(1 for tag in today.values() if tag == client_tag)
    if from_here >= limits.per_identifier_daily or len(today) >= limits.per_identifier_daily_all:
        raise TooManyRequests("Too many appeals for these identifiers today.", headers={"Retry-After": "86400"})
    new_digests = {item["sha256"] for item in evidence}
    for row in earlier:
        if row.state in ("rejected", "closed_no_match") and new_digests <= {item["sha256"] for item in row.evidence}:
            raise Conflict(
                f"An appeal for these identifiers was decided in the last {limits.repeat_days} days; "
                "a new appeal needs new evidence.",
                code="repeat_appeal",
            )


def evidence_in_use(session: Session) -> set[str]:
    """Digests of evidence that open appeals refer to: their files must stay."""
    rows = session.scalars(select(Appeal.evidence).where(Appeal.state.in_(APPEAL_OPEN_STATES)))
    return {item["sha256"] for evidence in rows for item in evidence}


def appeal_for_token(session: Session, ref: str, token: str) -> Appeal:
    """The appeal, for whoever holds its status token; anyone else learns nothing, not even that it exists."""
    appeal = session.scalar(select(Appeal).where(Appeal.ref == ref))
    expected = appeal.token_hash if appeal is not None else "0" * 64
    if not hmac.compare_digest(expected, token_hash(token)) or appeal is None:
        raise NotFound("No such appeal, or the status token is wrong.", code="appeal_not_found")
    return appeal


def get_appeal(session: Session, ref: str) -> Appeal:
    appeal = session.scalar(select(Appeal).where(Appeal.ref == ref))
    if appeal is None:
        raise NotFound(f"No appeal {ref}.", code="appeal_not_found")
    return appeal


def review_queue(session: Session) -> list[Appeal]:
    return list(
        session.scalars(
            select(Appeal).where(Appeal.state.in_(APPEAL_OPEN_STATES)).order_by(Appeal.decide_by, Appeal.id)
        )
    )


def match_received(
    session: Session, *, now: datetime, deadlines: Deadlines, identifier_secrets: IdentifierSecrets
) -> int:
    """Join each new appeal to its case and open a dispute of every active, suspended or held entry it
    matches that the case does not dispute yet; all go under review. Appeals already under review
    are matched again: a listing made while a person's appeal is open joins the case (disputed,
    so it weighs less and is no strike) instead of surviving the decision.

    Held entries too: a person whose re-listing waits for a reviewer (the reinsertion guard) is heard
    before it can take effect, not told "nothing matched" and then listed on approval.
    """
    cases.serialise(session)  # two ticks never match one appeal twice, nor race a decision on its case
    received = list(
        session.scalars(
            select(Appeal)
            .where(Appeal.state == "received")
            .order_by(Appeal.id)
            .execution_options(populate_existing=True)  # as committed by whoever held the lock before
        )
    )
    for appeal in received:
        cases.join_open_case(session, appeal, now=now)
        _dispute_new_matches(session, appeal, now=now, deadlines=deadlines)
        appeal.state, appeal.matched_at, appeal.updated_at = "under_review", now, now
        record(session, "appeal:under_review", f"appeal:{appeal.ref}", actor="system:tick", now=now, payload={})
    for appeal in session.scalars(select(Appeal).where(Appeal.state == "under_review").order_by(Appeal.id)):
        if appeal not in received:
            _dispute_new_matches(session, appeal, now=now, deadlines=deadlines)
    return len(received)


def _undisputed_matches(session: Session, appeal: Appeal) -> list[Entry]:
    """Entries the appeal's identifiers match that its case does not dispute yet."""
    disputed = {d.entry_id for d in cases.open_case(session, appeal.case_ref).disputes if d.state != "closed"}
    hashes = [bytes.fromhex(h) for item in appeal.identifiers for h in item.stored_hashes]
    entries = session.scalars(
        select(Entry)
        .join(EntryIdentifier, EntryIdentifier.entry_id == Entry.id)
        .where(EntryIdentifier.stored_hash.in_(hashes), Entry.state.in_(APPEALABLE_STATES))
        .distinct()
        .order_by(Entry.id)
    )
    return [entry for entry in entries if entry.id not in disputed]


def _dispute_new_matches(session: Session, appeal: Appeal, *, now: datetime, deadlines: Deadlines) -> None:
    for entry in _undisputed_matches(session, appeal):
        disputes.open_case(
            session,
            entry,
            reason=appeal.statement,
            evidence=appeal.evidence,
            now=now,
            deadlines=deadlines,
            appeal=appeal,
            actor=f"appeal:{appeal.ref}",
        )


def decide_appeal(
    session: Session,
    reviewer: str,
    ref: str,
    *,
    decision: str,
    reason: str,
    now: datetime,
    expedite_reason: str | None = None,
) -> Appeal:
    """A reviewer's decision on the appeal's whole case: every appeal joined to it, every dispute they opened.

    The rules of ``fairness.py`` hold for every dispute of the case at once: refused if any matched entry
    is the reviewer's own member's, or if a submitter may still answer and no ``expedite_reason`` is given.
    """
    cases.serialise(session)  # no tick joins an appeal to this case while it is being decided
    appeal = get_appeal(session, ref)
    if appeal.state != "under_review":
        raise Conflict(f"Appeal {ref} is {appeal.state}: only appeals under review are decided.", code="appeal_state")
    case = cases.open_case(session, appeal.case_ref)  # appeals join a case as they are matched: all under review
    open_cases = [d for d in case.disputes if d.state != "closed"]
    if decision == "closed_no_match" and case.disputes:
        raise Conflict("This appeal matched entries: decide it upheld or rejected.", code="appeal_matched")
    if decision != "closed_no_match" and not case.disputes:
        raise Conflict("This appeal matched nothing: close it as closed_no_match.", code="appeal_unmatched")
    late = sum(len(_undisputed_matches(session, joined)) for joined in case.appeals)
    if late:
        raise Conflict(
            f"{late} listings of these identifiers were made since the case was opened; the next "
            "federation tick adds them to the case. Read them, then decide.",
            code="case_changed",
        )
    for dispute in case.disputes:
        check_may_decide(dispute, reviewer, now=now, expedite_reason=expedite_reason)
    expedited = any(answer_pending(dispute, now) for dispute in open_cases)
    for joined in case.appeals:
        _close_appeal(session, joined, decision, by=reviewer, reason=reason, now=now, expedited=expedited)
    for dispute in open_cases:
        if dispute.state != "closed":  # an earlier delisting may have closed it as moot
            disputes.decide(
                session, reviewer, dispute.ref, outcome=decision, reason=reason, now=now,
                expedite_reason=expedite_reason,
            )  # fmt: skip
    session.flush()
    return appeal


def settle_if_done(session: Session, appeal: Appeal, *, now: datetime) -> None:
    """When every dispute of a case closed on its own (a retraction, say), its appeals close with them."""
    if appeal.state != "under_review":
        return
    case = cases.open_case(session, appeal.case_ref)
    if any(d.state != "closed" for d in case.disputes):
        return
    rejected = "rejected" in {d.outcome for d in case.disputes}
    decision = "rejected" if rejected else "upheld"
    reason = "A reviewer kept a listing." if rejected else "The listings were withdrawn or have ended."
    for joined in case.appeals:
        _close_appeal(session, joined, decision, by="system", reason=reason, now=now)


def _close_appeal(
    session: Session, appeal: Appeal, decision: str, *, by: str, reason: str, now: datetime, expedited: bool = False
) -> None:
    appeal.state, appeal.decided_by, appeal.decision_reason = decision, by, reason
    appeal.decided_at = appeal.updated_at = now
    # The contact stays until the tick has sent the decision to it (``decision_notices``), then goes.
    record(
        session,
        f"appeal:{decision}",
        f"appeal:{appeal.ref}",
        actor=by,
        now=now,
        payload={"ref": appeal.ref, "decision": decision, "expedited": expedited},
    )
