"""Rules for a submission that need no database: pure functions over plain values.

The wire schema (``api/schemas/entries.py``) checks shapes and types; these
check what involves several fields, configuration or the clock. Each problem
is reported against a JSON Pointer so a member sees exactly what to fix.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import combinations
from typing import Any

from ..errors import field_error

#: Tolerated clock difference when judging "in the future".
CLOCK_SKEW = timedelta(minutes=5)
#: Something that looks like an e-mail address or a phone/ID number: an @, or seven digits or more
#: with at most one separator between two (``138 0013 8000``, ``+86-138-0013-8000``).
_PERSONAL_DATA = re.compile(r"@|\d(?:[\s\-.()/_]?\d){6,}")


def looks_personal(name: str) -> bool:
    """Whether a reviewer pseudonym looks like an e-mail address or a phone/ID number.

    Judged on the NFKC form without invisible format characters, so full-width digits and ``＠``,
    or a zero-width space between digits, read as what they show.
    """
    folded = "".join(c for c in unicodedata.normalize("NFKC", name) if unicodedata.category(c) != "Cf")
    return _PERSONAL_DATA.search(folded) is not None


@dataclass(frozen=True, slots=True)
class HashedId:
    """One hash of one identifier. Several share a ``group`` when one identifier is sent hashed
    under several accepted salts; ``None``: the identifier is its own group, at its index."""

    type: str
    hash: str
    key_id: str
    group: int | None = None
    #: JSON Pointer of this hash in the request, for error messages; ``None``: ``/identifiers/<index>``.
    at: str | None = None


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    kind: str
    sha256: str
    size: int
    captured_at: datetime
    uri: str | None = None


@dataclass(frozen=True, slots=True)
class Review:
    ai_score: float
    ai_model: str
    human_reviewer: str
    reviewed_at: datetime


@dataclass(frozen=True, slots=True)
class Certification:
    """The submitter's word that a re-listing is complete, accurate and rests on new evidence.

    Modelled on FCRA section 1681i(a)(5)(B)(i): information deleted after a dispute comes back only
    when the furnisher certifies it. Only ``holds.py`` reads it, for the reviewer.
    """

    statement: str


@dataclass(frozen=True, slots=True)
class Submission:
    case_ref: str | None
    category: str
    tier: int
    occurred_at: datetime
    identifiers: tuple[HashedId, ...]
    evidence: tuple[EvidenceItem, ...]
    review: Review
    amount: Decimal | None = None
    currency: str | None = None
    certification: Certification | None = None

    @classmethod
    def from_validated(cls, data: dict[str, Any]) -> Submission:
        """Build from the wire schema's output (types already checked)."""
        amount = data.get("amount") or {}
        return cls(
            case_ref=data.get("case_ref"),
            category=data["category"],
            tier=data["tier"],
            occurred_at=data["occurred_at"],
            identifiers=flat_identifiers(data["identifiers"]),
            evidence=tuple(EvidenceItem(**item) for item in data["evidence"]),
            review=Review(**data["review"]),
            amount=amount.get("value"),
            currency=amount.get("currency"),
            certification=_certification(data.get("relisting_certification")),
        )


def _certification(data: dict[str, Any] | None) -> Certification | None:
    return None if data is None else Certification(statement=data["statement"])


def flat_identifiers(items: list[dict[str, Any]]) -> tuple[HashedId, ...]:
    """Both wire shapes, ``{type, hash, key_id}`` and ``{type, hashes: [{key_id, hash}]}``, as flat hashes."""
    flat = []
    for group, item in enumerate(items):
        if "hashes" not in item:
            flat.append(HashedId(item["type"], item["hash"], item["key_id"], group, f"/identifiers/{group}"))
            continue
        flat += [
            HashedId(item["type"], pair["hash"], pair["key_id"], group, f"/identifiers/{group}/hashes/{index}")
            for index, pair in enumerate(item["hashes"])
        ]
    return tuple(flat)


def identifier_slots(identifiers: tuple[HashedId, ...]) -> list[tuple[int, str, HashedId]]:
    """``(position, pointer, hash)`` for each hash: hashes of one identifier share its position."""
    return [
        (
            index if item.group is None else item.group,
            f"/identifiers/{index}" if item.at is None else item.at,
            item,
        )
        for index, item in enumerate(identifiers)
    ]


@dataclass(frozen=True, slots=True)
class SurgeRules:
    """Issue 13's poisoning cap (``surge.py``): listings allowed in 24 h are
    ``max(floor, factor x median daily listings over the previous history_days days)``."""

    floor: int = 200
    factor: float = 5.0
    history_days: int = 30

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SurgeRules:
        return cls(
            floor=int(config["LISTING_SURGE_FLOOR"]),
            factor=float(config["LISTING_SURGE_FACTOR"]),
            history_days=int(config["LISTING_SURGE_HISTORY_DAYS"]),
        )


@dataclass(frozen=True, slots=True)
class Policy:
    """The configured parts of the rules."""

    ttl_days: dict[int, int]
    police_thresholds: dict[str, Decimal]
    #: The accepted salt key ids; a live view (``IdentifierSecrets.accepted_key_ids``) follows rotations.
    #: A listing carries each identifier hashed under every one of them (``problems``).
    known_key_ids: Collection[str]
    #: Days after a dispute or appeal is upheld during which a re-listing is held for review.
    reinsertion_guard_days: int = 180
    #: The share of new listings held for a reviewer's quality check (``guard.hold_if_needed``).
    hold_sample_rate: float = 0.0
    #: Listings beyond a member's own baseline are held for a reviewer (``surge.py``).
    surge: SurgeRules = SurgeRules()

    @classmethod
    def from_config(cls, config: dict[str, Any], known_key_ids: Collection[str]) -> Policy:
        return cls(
            ttl_days={int(tier): int(days) for tier, days in config["TIER_TTL_DAYS"].items()},
            police_thresholds=police_thresholds(config),
            known_key_ids=known_key_ids,
            reinsertion_guard_days=int(config["REINSERTION_GUARD_DAYS"]),
            hold_sample_rate=min(1.0, max(0.0, float(config["HOLD_SAMPLE_RATE"]))),
            surge=SurgeRules.from_config(config),
        )


def police_thresholds(config: Mapping[str, Any]) -> dict[str, Decimal]:
    """``POLICE_REFERRAL_THRESHOLDS`` as Decimals: tier 3 listings and the ladder read the same figures."""
    return {currency: Decimal(str(value)) for currency, value in dict(config["POLICE_REFERRAL_THRESHOLDS"]).items()}


def expires_at(submission: Submission, policy: Policy) -> datetime:
    """A listing runs for its tier's term, counted from the offence itself."""
    return submission.occurred_at + timedelta(days=policy.ttl_days[submission.tier])


def problems(submission: Submission, policy: Policy, now: datetime) -> list[dict[str, str]]:
    """Every cross-field problem, as ``{"pointer", "detail"}`` items (empty: acceptable)."""
    found: list[dict[str, str]] = []

    def problem(pointer: str, detail: str) -> None:
        found.append(field_error(pointer, detail))

    seen: set[tuple[str, str]] = set()
    keyed: set[tuple[int, str]] = set()
    for position, pointer, identifier in identifier_slots(submission.identifiers):
        if identifier.key_id not in policy.known_key_ids:
            problem(f"{pointer}/key_id", f"Unknown salt key id {identifier.key_id!r}.")
        elif (position, identifier.key_id) in keyed:
            problem(f"{pointer}/key_id", "One hash per key id for each identifier.")
        if (identifier.type, identifier.hash) in seen:
            problem(pointer, "Duplicate identifier in this entry.")
        seen.add((identifier.type, identifier.hash))
        keyed.add((position, identifier.key_id))
    accepted = set(policy.known_key_ids)
    for group in sorted({position for position, _ in keyed}):
        missing = sorted(accepted - {key_id for position, key_id in keyed if position == group})
        if missing:
            problem(
                f"/identifiers/{group}",
                f"Hash this identifier under every accepted salt (GET /v1/salts); missing: {', '.join(missing)}.",
            )
    if submission.occurred_at > now + CLOCK_SKEW:
        problem("/occurred_at", "The offence cannot be in the future.")
    elif expires_at(submission, policy) <= now:
        days = policy.ttl_days[submission.tier]
        problem(
            "/occurred_at",
            f"A tier {submission.tier} listing lasts {days} days from the offence; this one "
            "would already have expired.",
        )
    review = submission.review
    if review.reviewed_at > now + CLOCK_SKEW:
        problem("/review/reviewed_at", "The review cannot be in the future.")
    if review.reviewed_at < submission.occurred_at:
        problem("/review/reviewed_at", "The review cannot precede the offence.")
    if looks_personal(review.human_reviewer):
        problem("/review/human_reviewer", "Use a pseudonym for the reviewer, not an e-mail address or a number.")
    hashes: set[str] = set()
    for index, item in enumerate(submission.evidence):
        if item.captured_at > now + CLOCK_SKEW:
            problem(f"/evidence/{index}/captured_at", "Evidence cannot be captured in the future.")
        if item.sha256 in hashes:
            problem(f"/evidence/{index}/sha256", "Duplicate evidence digest in this entry.")
        hashes.add(item.sha256)
    _check_amount(submission, policy, problem)
    return found


def _check_amount(submission: Submission, policy: Policy, problem: Any) -> None:
    if submission.tier != 3:
        return
    if submission.amount is None:
        problem("/amount", "Tier 3 (police referral) needs the amount involved.")
        return
    threshold = policy.police_thresholds.get(submission.currency or "")
    if threshold is None:
        problem("/amount/currency", f"No police-referral threshold is configured for {submission.currency}.")
    elif submission.amount < threshold:
        problem("/amount/value", f"Tier 3 needs at least {threshold} {submission.currency}; use tier 1 or 2.")


def guard_live(created_at: datetime, days: int, now: datetime) -> bool:
    """A reinsertion guard holds re-listings for ``days`` after the decision; at the boundary it has ended."""
    return now < created_at + timedelta(days=days)


def hold_gaps(new_evidence: list[str], certified: bool) -> list[str]:
    """What a held re-listing lacks before a reviewer may approve it (empty: approvable)."""
    return [gap for gap, missing in (("new_evidence", not new_evidence), ("certification", not certified)) if missing]


def content_hash(submission: Submission) -> str:
    """SHA-256 of the submission's canonical form, blind to the order of lists.

    A certification counts when given; without one the document is what it was before
    certifications existed, so earlier entries still recognise their re-sends.
    """
    document = asdict(submission)
    if document["certification"] is None:
        del document["certification"]
    # What was hashed, not how it was grouped or where it stood: the digest of a one-salt
    # submission is the same as before identifiers could carry several hashes.
    hashes = [{key: item[key] for key in ("type", "hash", "key_id")} for item in document["identifiers"]]
    document["identifiers"] = sorted(hashes, key=lambda item: (item["type"], item["hash"]))
    document["evidence"] = sorted(document["evidence"], key=lambda item: item["sha256"])
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=_canonical_value)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def is_resend(submission: Submission, digest: str) -> bool:
    """Whether ``digest`` is this submission's, or that of the same submission hashed under fewer of
    its salts: re-sent after a salt rotation, a case carries hashes under the new salt as well, and is
    still the same case (at most 4 key ids: 14 narrower digests, computed only on a mismatch)."""
    if content_hash(submission) == digest:
        return True
    key_ids = sorted({identifier.key_id for identifier in submission.identifiers})
    for size in range(1, len(key_ids)):
        for subset in combinations(key_ids, size):
            narrower = tuple(identifier for identifier in submission.identifiers if identifier.key_id in subset)
            if content_hash(replace(submission, identifiers=narrower)) == digest:
                return True
    return False


def _canonical_value(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    raise TypeError(f"cannot canonicalise {type(value).__name__}")
