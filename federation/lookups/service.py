"""A lookup, start to finish: hash, match, score, recommend, audit.

The caller has already charged the member's budget (``budget.py``: from this
worker's lease, a Redis round trip only to renew it; no database write). Then one database round trip for the matching
whatever the batch size, and one audit line appended to the worker's spool
(``audit.py``) before the answer is returned.
Results name entries by opaque ref and show counts, categories, tiers and
dates: never which member reported, never evidence. They are plain dicts with
datetimes left as they are: the handler serialises them with orjson, which
writes RFC 3339 in C (Python's ``isoformat`` was 17 calls a lookup).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..errors import ValidationFailed, field_error
from ..identifiers.secrets import IdentifierSecrets
from ..protective import ladder as protective
from .actions import Ladder, Recommendation, Strike, recommend
from .budget import LookupBudget
from .matching import fetch_matches
from .models import LookupRecord
from .probation import uncorroborated
from .requests import LookupRequest, QueryItem
from .scoring import Candidate, Scored, ScoringModel, score

#: Prebuilt: the hot path binds values into it instead of building a statement per request.
_AUDIT = insert(LookupRecord)


@dataclass(frozen=True, slots=True)
class LookupContext:
    model: ScoringModel
    ladder: Ladder
    identifier_secrets: IdentifierSecrets
    #: Daily budget and burst per member (issue 13), charged by the handler before ``lookup``.
    budget: LookupBudget | None = None
    #: Durably records one audit row before returning (``audit.AuditSpool.write``); ``None``:
    #: insert it in the lookup's own transaction, committed by the caller.
    write_audit: Callable[[dict[str, Any]], None] | None = None


@dataclass(frozen=True, slots=True)
class LookupOutcome:
    """The member's answer, and what the sweep detector learns from it (``novelty.py``)."""

    answer: dict[str, Any]
    #: One stored hash per identifier looked up (the smallest of its salts'), and of those the ones
    #: that matched an entry of *another* member: never part of the answer.
    identifier_keys: list[bytes]
    others_hit_keys: list[bytes]


def lookup(
    connection: Connection,
    member_id: str,
    request: LookupRequest,
    *,
    context: LookupContext,
    now: datetime,
) -> LookupOutcome:
    """Match, score, audit."""
    secrets = context.identifier_secrets
    stored = _stored_hashes(request.items, secrets)
    rows_by_hash: dict[bytes, list[Any]] = defaultdict(list)
    for row in fetch_matches(connection, list({key for keys in stored for key in keys}), now):
        rows_by_hash[row.stored_hash].append(row)

    matched = [_rows_of(keys, rows_by_hash) for keys in stored]
    identifiers = [
        _identifier_result(index, item, rows, context, now)
        if rows
        else {"index": index, "type": item.type, "matched": False, "confidence": 0.0}  # most of a batch: small
        for index, (item, rows) in enumerate(zip(request.items, matched, strict=True))
    ]
    subjects = _subject_results(request.items, matched, context, now)
    matched_refs = sorted({row.ref for rows in rows_by_hash.values() for row in rows})
    hits = sum(1 for rows in matched if rows)
    audit = {
        "member_id": member_id,
        "purpose": request.purpose,
        "reference": request.reference,
        "created_at": now,
        "identifiers": len(request.items),
        "hits": hits,
        "matched_refs": matched_refs,
    }
    if context.write_audit is None:
        connection.execute(_AUDIT, audit)
    else:
        context.write_audit(audit)
    answer = {
        "purpose": request.purpose,
        "reference": request.reference,
        "looked_up_at": now,
        "hits": hits,
        "identifiers": identifiers,
        "subjects": subjects,
    }
    keys = [item_keys[0] if len(item_keys) == 1 else min(item_keys) for item_keys in stored]
    others = [
        keys[index]
        for index, rows in enumerate(matched)
        if rows and any(row.member_id != member_id for row in rows)  # most of a batch: no rows, no generator
    ]
    return LookupOutcome(answer, keys, others)


def _stored_hashes(items: list[QueryItem], secrets: IdentifierSecrets) -> list[list[bytes]]:
    """Each identifier's stored hashes, one per hash under an accepted salt.

    Hashes under a key id no longer accepted are skipped when another hash of
    the same identifier is usable (an SDK that has not yet noticed a salt was
    retired still gets its answer); an identifier with no usable hash at all
    is a client error.
    """
    knows, stored_hash = secrets.knows, secrets.stored_hash
    stored = [
        [stored_hash(key_id, item.type, hash_) for key_id, hash_ in item.hashes if knows(key_id)] for item in items
    ]
    if not all(stored):
        unknown = [
            field_error(f"/identifiers/{index}/{'hashes' if item.grouped else 'key_id'}", _UNKNOWN)
            for index, (item, keys) in enumerate(zip(items, stored, strict=True))
            if not keys
        ]
        raise ValidationFailed("Unknown salt key ids; see errors.", errors=unknown[:100])
    return stored


_UNKNOWN = "No hash under a salt key id the federation accepts (GET /v1/salts)."


def _rows_of(keys: list[bytes], rows_by_hash: dict[bytes, list[Any]]) -> list[Any]:
    """The entries one identifier matched, each once, however many of its hashes matched it."""
    if len(keys) == 1:
        return rows_by_hash.get(keys[0], [])
    by_entry: dict[int, Any] = {}
    for key in keys:
        for row in rows_by_hash.get(key, ()):
            # One row per entry; a protective flag is on the registered salt's row only, so it is kept.
            if row.id not in by_entry or row.protected and not by_entry[row.id].protected:
                by_entry[row.id] = row
    return list(by_entry.values())


def _candidates(rows_with_types: dict[int, tuple[Any, dict[str, float | None]]]) -> list[Candidate]:
    """``rows_with_types``: entry id -> (a matched row, {matched type: its warninglist weight or None})."""
    return [
        Candidate(
            entry_id=row.id,
            member_id=row.member_id,
            trust=row.trust_weight,
            occurred_at=row.occurred_at,
            counts=row.state == "active",
            disputed=row.open_disputes > 0,
            matched_types=tuple(sorted(types)),
            warninglisted={t: weight for t, weight in types.items() if weight is not None},
        )
        for row, types in rows_with_types.values()
    ]


def _strikes(rows: list[Any], scored: Scored, ladder: Ladder) -> list[Strike]:
    return [
        Strike(entry_id=row.id, tier=row.tier, amount=row.amount, currency=row.currency, listed_at=row.listed_at)
        for row in rows
        if row.state == "active" and row.open_disputes == 0 and scored.strengths[row.id] >= ladder.strike_threshold
    ]


def _recommend(
    rows: list[Any], scored: Scored, context: LookupContext, now: datetime
) -> tuple[Recommendation, frozenset]:
    """The ladder over the counted strikes; a probation member's uncorroborated ones (``probation.py``)
    are held back and can make it ``review`` at most. Returns the provisional entry ids too."""
    provisional = uncorroborated(rows)
    if not provisional:
        return recommend(context.ladder, _strikes(rows, scored, context.ladder), scored.confidence, now), provisional
    strikes = _strikes([row for row in rows if row.id not in provisional], scored, context.ladder)
    held_back = len(_strikes([row for row in rows if row.id in provisional], scored, context.ladder))
    return recommend(context.ladder, strikes, scored.confidence, now, held_back), provisional


def _state(row: Any) -> str:
    if row.state == "suspended":
        return "suspended"
    return "disputed" if row.open_disputes else "active"


def _recommendation(rec: Recommendation) -> dict[str, Any]:
    return {
        "action": rec.action,
        "rule": rec.rule,
        "strikes": rec.strikes,
        "total_amount": {currency: format(total.normalize(), "f") for currency, total in rec.total_amount.items()},
        "freeze_until": rec.freeze_until,
    }


def _identifier_result(index: int, item: QueryItem, rows: list[Any], context: LookupContext, now: datetime) -> dict:
    result: dict[str, Any] = {"index": index, "type": item.type, "subject": item.subject}
    candidates = _candidates({row.id: (row, {item.type: row.warninglist_weight}) for row in rows})
    scored = score(context.model, candidates, now)
    recommendation, provisional = _recommend(rows, scored, context, now)
    protected = any(row.protected for row in rows)
    if protected:  # an identity-theft victim's identifier: never more than review on it (protective/ladder.py)
        recommendation = protective.protect(recommendation)
    reported = [row.listed_at for row in rows]
    return {
        **result,
        "matched": True,
        "protective_registration": protected,
        "confidence": scored.confidence,
        "reporting_members": len({row.member_id for row in rows}),
        "first_reported_at": min(reported),
        "last_reported_at": max(reported),
        "matches": [
            {
                "ref": row.ref,
                "category": row.category,
                "tier": row.tier,
                "state": _state(row),
                "occurred_at": row.occurred_at,
                "reported_at": row.listed_at,
                "weight": round(scored.strengths[row.id], 6),
                "provisional": row.id in provisional,
            }
            for row in sorted(rows, key=lambda r: scored.strengths[r.id], reverse=True)
        ],
        "factors": _factors(context.model, (item.type,), rows, scored),
        "recommended_action": _recommendation(recommendation),
    }


def _factors(
    model: ScoringModel, types: tuple[str, ...], rows: list[Any], scored: Scored, listed: list[Any] | None = None
) -> dict[str, Any]:
    return {
        "type_weights": {t: model.type_weights[t] for t in types},
        "half_life_days": {t: model.half_life_days[t] for t in types},
        "repeat_factor": model.repeat_factor,
        "dispute_discount": model.dispute_discount,
        "counted_entries": sum(1 for row in rows if row.state == "active"),
        "disputed_entries": sum(1 for row in rows if row.state == "active" and row.open_disputes),
        "suspended_entries": sum(1 for row in rows if row.state == "suspended"),
        "member_contributions": list(scored.member_contributions),
        **_warninglists(rows if listed is None else listed),
    }


def _warninglists(rows: list[Any]) -> dict[str, Any]:
    """Why matches weigh less: the warninglists marking them (docs/warninglists.md); absent when none."""
    listed: dict[tuple[str, float], set[int]] = defaultdict(set)
    for row in rows:
        if row.warninglist is not None:
            listed[(row.warninglist, row.warninglist_weight)].add(row.id)
    if not listed:
        return {}
    return {
        "warninglists": [
            {"name": name, "weight": weight, "entries": len(ids)} for (name, weight), ids in sorted(listed.items())
        ]
    }


def _subject_results(
    items: list[QueryItem], matched: list[list[Any]], context: LookupContext, now: datetime
) -> list[dict[str, Any]]:
    grouped: dict[str, list[tuple[QueryItem, list[Any]]]] = defaultdict(list)
    for item, rows in zip(items, matched, strict=True):
        if item.subject is not None:
            grouped[item.subject].append((item, rows))
    results = []
    for subject, members in grouped.items():
        by_entry: dict[int, tuple[Any, dict[str, float | None]]] = {}
        listed_rows = []
        for item, item_rows in members:
            for row in item_rows:
                types = by_entry.setdefault(row.id, (row, {}))[1]
                weight = row.warninglist_weight
                types[item.type] = _heavier(types[item.type], weight) if item.type in types else weight
                if row.warninglist is not None:
                    listed_rows.append(row)
        rows = [row for row, _ in by_entry.values()]
        scored = score(context.model, _candidates(by_entry), now)
        recommendation, _ = _recommend(rows, scored, context, now)
        protected = any(row.protected for _, item_rows in members for row in item_rows)
        if protected:
            recommendation = _protected_subject(members, recommendation, context, now)
        types = tuple(sorted({item.type for item, _ in members}))
        results.append(
            {
                "subject": subject,
                "identifiers": len(members),
                "confidence": scored.confidence,
                "matched_entries": len(rows),
                "reporting_members": len({row.member_id for row in rows}),
                "protective_registration": protected,
                "factors": _factors(context.model, types, rows, scored, listed_rows),
                "recommended_action": _recommendation(recommendation),
            }
        )
    return results


def _heavier(weight: float | None, other: float | None) -> float | None:
    """Two identifiers of one type matched an entry: the one off any warninglist (``None``) counts."""
    return None if weight is None or other is None else max(weight, other)


def _protected_subject(
    members: list[tuple[QueryItem, list[Any]]], full: Recommendation, context: LookupContext, now: datetime
) -> Recommendation:
    """Protective registration on a subject: its unprotected identifiers' own entries may still justify
    more than ``review``; the protected ones' never do (``protective/ladder.py``)."""
    by_entry: dict[int, tuple[Any, dict[str, float | None]]] = {}
    for item, item_rows in members:
        if not any(row.protected for row in item_rows):
            for row in item_rows:
                by_entry.setdefault(row.id, (row, {}))[1][item.type] = row.warninglist_weight
    independent = None
    if by_entry:
        rows = [row for row, _ in by_entry.values()]
        scored = score(context.model, _candidates(by_entry), now)
        independent, _ = _recommend(rows, scored, context, now)
    return protective.for_subject(full, independent)


def usage_stats(session: Session, member_id: str, since: datetime) -> dict[str, Any]:
    """A member's own lookups since ``since``, per day and purpose."""
    day = func.date(LookupRecord.created_at)
    rows = session.execute(
        select(
            day.label("day"),
            LookupRecord.purpose,
            func.count(),
            func.sum(LookupRecord.identifiers),
            func.sum(LookupRecord.hits),
        )
        .where(LookupRecord.member_id == member_id, LookupRecord.created_at >= since)
        .group_by(day, LookupRecord.purpose)
        .order_by(day, LookupRecord.purpose)
    ).all()
    days = [
        {"day": str(r[0]), "purpose": r[1], "requests": r[2], "identifiers": int(r[3]), "hits": int(r[4])} for r in rows
    ]
    return {
        "since": since.isoformat(),
        "requests": sum(d["requests"] for d in days),
        "identifiers": sum(d["identifiers"] for d in days),
        "hits": sum(d["hits"] for d in days),
        "days": days,
    }
