"""Parsing a lookup request by hand, on purpose.

A risk engine sends up to 1,000 identifiers on its customer-service hot path;
loading them through a schema object per item costs more than the database
query. These checks are the same ones the OpenAPI schema documents
(``api/schemas/lookups.py``), with the same problem-details errors, in plain
loops.

An identifier comes in one of two shapes: ``{type, hash, key_id}`` (hashed
under one salt), or ``{type, hashes: [{key_id, hash}, ...]}`` (the same raw
identifier hashed under several accepted salts, as the SDK sends during a
salt rotation). Either way it is one item, so results, hits and the quota
count raw identifiers, never hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from ..errors import ValidationFailed, field_error
from ..identifiers import HASH_PATTERN, IDENTIFIER_TYPES, KEY_ID_PATTERN, MAX_HASHES
from .references import PURPOSES, reference_problem

MAX_IDENTIFIERS = 1000
MAX_SUBJECT_LENGTH = 64
_TYPES = frozenset(IDENTIFIER_TYPES)
_FIELDS = frozenset({"type", "hash", "key_id", "subject"})
_GROUP_FIELDS = frozenset({"type", "hashes", "subject"})


class QueryItem(NamedTuple):
    """A tuple, not a dataclass: a batch builds a thousand, and tuples are built in C."""

    type: str
    #: ``(key_id, hash)`` pairs of one raw identifier; one pair in the single-salt shape.
    hashes: tuple[tuple[str, str], ...]
    subject: str | None
    #: Sent as ``hashes`` (error pointers say ``/hashes``) rather than as one ``hash``.
    grouped: bool = False


@dataclass(frozen=True, slots=True)
class LookupRequest:
    purpose: str
    items: list[QueryItem]
    #: The member's own complaint or order id (``references.py``), audited with the lookup.
    reference: str | None = None


def parse_lookup(body: Any) -> LookupRequest:
    if not isinstance(body, dict):
        raise ValidationFailed(
            "The body must be a JSON object.",
            errors=[field_error("/", "Expected an object.")],
        )
    errors: list[dict[str, str]] = []
    for unknown in sorted(set(body) - {"purpose", "reference", "identifiers"}):
        errors.append(field_error(f"/{unknown}", "Unknown field."))
    purpose, reference = body.get("purpose"), body.get("reference")
    if purpose not in PURPOSES:
        errors.append(field_error("/purpose", f"Must be one of: {', '.join(PURPOSES)}."))
    problem = reference_problem(reference)
    if problem is not None:
        errors.append(field_error("/reference", problem))
    raw_items = body.get("identifiers")
    if not isinstance(raw_items, list) or not 1 <= len(raw_items) <= MAX_IDENTIFIERS:
        errors.append(field_error("/identifiers", f"A list of 1 to {MAX_IDENTIFIERS} identifiers."))
        raw_items = []
    items: list[QueryItem] = []
    append, match_hash, match_key, types = items.append, HASH_PATTERN.fullmatch, KEY_ID_PATTERN.fullmatch, _TYPES
    for index, item in enumerate(raw_items):
        # The common case in one test; anything unusual is diagnosed field by field below.
        try:
            type_, hash_, key_id = item["type"], item["hash"], item["key_id"]
            subject = item.get("subject")
            if (
                type_ in types
                and match_hash(hash_)
                and match_key(key_id)
                and len(item) <= 4
                and (subject is None or (type(subject) is str and 0 < len(subject) <= MAX_SUBJECT_LENGTH))
                and _FIELDS.issuperset(item)
            ):
                append(QueryItem(type_, ((key_id, hash_),), subject))
                continue
        except (KeyError, TypeError):
            pass
        if isinstance(item, dict) and "hashes" in item:
            grouped, found = _grouped_item(index, item)
            if grouped is not None:
                append(grouped)
            errors.extend(found)
            continue
        errors.extend(_item_errors(index, item))
    if errors:
        raise ValidationFailed("The lookup request has invalid fields; see errors.", errors=errors[:100])
    return LookupRequest(purpose=purpose, items=items, reference=reference)


def _item_errors(index: int, item: Any) -> list[dict[str, str]]:
    if not isinstance(item, dict):
        return [field_error(f"/identifiers/{index}", "Expected an object.")]
    at = f"/identifiers/{index}"
    return [*_type_errors(at, item), *_hash_errors(at, item), *_label_errors(at, item, _FIELDS)]


def _grouped_item(index: int, item: dict[str, Any]) -> tuple[QueryItem | None, list[dict[str, str]]]:
    """``{type, hashes: [{key_id, hash}], subject}``: one identifier under several salts."""
    at = f"/identifiers/{index}"
    found = [*_type_errors(at, item), *_label_errors(at, item, _GROUP_FIELDS)]
    hashes = item.get("hashes")
    if not isinstance(hashes, list) or not 1 <= len(hashes) <= MAX_HASHES:
        found.append(field_error(f"{at}/hashes", f"A list of 1 to {MAX_HASHES} hashes."))
        return None, found
    pairs = []
    for position, pair in enumerate(hashes):
        pair_at = f"{at}/hashes/{position}"
        if not isinstance(pair, dict):
            found.append(field_error(pair_at, "Expected an object."))
            continue
        found.extend(_hash_errors(pair_at, pair))
        key_id = pair.get("key_id")
        valid_key = isinstance(key_id, str) and KEY_ID_PATTERN.fullmatch(key_id)
        if valid_key and any(key_id == seen for seen, _ in pairs):
            found.append(field_error(f"{pair_at}/key_id", "One hash per key id."))
        found.extend(_unknown_errors(pair_at, pair, {"hash", "key_id"}))
        pairs.append((key_id, pair.get("hash")))
    if found:
        return None, found
    return QueryItem(item["type"], tuple(pairs), item.get("subject"), grouped=True), []


def _type_errors(at: str, item: dict[str, Any]) -> list[dict[str, str]]:
    type_ = item.get("type")
    if not isinstance(type_, str) or type_ not in _TYPES:  # a list or an object is unhashable
        return [field_error(f"{at}/type", f"Must be one of: {', '.join(IDENTIFIER_TYPES)}.")]
    return []


def _hash_errors(at: str, item: dict[str, Any]) -> list[dict[str, str]]:
    """One ``{hash, key_id}``, at the top of an item or inside its ``hashes``."""
    hash_, key_id, found = item.get("hash"), item.get("key_id"), []
    if not isinstance(hash_, str) or not HASH_PATTERN.fullmatch(hash_):
        found.append(field_error(f"{at}/hash", "A hash is 64 lowercase hex digits."))
    if not isinstance(key_id, str) or not KEY_ID_PATTERN.fullmatch(key_id):
        found.append(field_error(f"{at}/key_id", "Not a valid key id."))
    return found


def _label_errors(at: str, item: dict[str, Any], allowed: frozenset[str]) -> list[dict[str, str]]:
    """The subject label, then any field the shape does not know."""
    subject, found = item.get("subject"), []
    if subject is not None and (not isinstance(subject, str) or not 0 < len(subject) <= MAX_SUBJECT_LENGTH):
        found.append(field_error(f"{at}/subject", f"A label of 1 to {MAX_SUBJECT_LENGTH} characters."))
    return found + _unknown_errors(at, item, allowed)


def _unknown_errors(at: str, item: dict[str, Any], allowed: frozenset[str] | set[str]) -> list[dict[str, str]]:
    return [field_error(f"{at}/{unknown}", "Unknown field.") for unknown in sorted(set(item) - allowed)]
