"""Wire shapes of entries: submission, batch, listing, retraction."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import marshmallow as ma
import pycountry

from ...entries.holds import PUBLIC_REASON
from ...entries.models import CATEGORIES, EVIDENCE_KINDS, STATES
from ...entries.rekeying import RekeyItem
from ...entries.rules import Submission, flat_identifiers
from ...identifiers import HASH_PATTERN, IDENTIFIER_TYPES, KEY_ID_PATTERN, MAX_HASHES
from .fields import FullMatch, Timestamp

CASE_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/#-]{0,127}")
AMOUNT = re.compile(r"\d{1,14}(\.\d{1,4})?")
MAX_BATCH = 1000


def _hash_field(**kwargs: Any) -> ma.fields.String:
    return ma.fields.String(validate=FullMatch(HASH_PATTERN, error="A hash is 64 lowercase hex digits."), **kwargs)


class KeyedHashSchema(ma.Schema):
    key_id = ma.fields.String(required=True, validate=FullMatch(KEY_ID_PATTERN))
    hash = _hash_field(required=True)


class HashedIdentifierSchema(ma.Schema):
    """One identifier: ``hash`` and ``key_id``, or ``hashes`` under several accepted salts."""

    type = ma.fields.String(required=True, validate=ma.validate.OneOf(IDENTIFIER_TYPES))
    hash = _hash_field(metadata={"description": "With key_id; or give hashes instead."})
    key_id = ma.fields.String(validate=FullMatch(KEY_ID_PATTERN))
    hashes = ma.fields.List(
        ma.fields.Nested(KeyedHashSchema),
        validate=ma.validate.Length(min=1, max=MAX_HASHES),
        metadata={"description": "The same identifier hashed under several accepted salts, one per key id."},
    )

    @ma.validates_schema
    def _one_shape(self, data: dict[str, Any], **_: Any) -> None:
        single = "hash" in data or "key_id" in data
        if single == ("hashes" in data):
            raise ma.ValidationError("Give hash and key_id, or hashes.", field_name="hashes")
        if single:
            missing = [name for name in ("hash", "key_id") if name not in data]
            if missing:
                raise ma.ValidationError({name: ["Missing data for required field."] for name in missing})


class AmountSchema(ma.Schema):
    value = ma.fields.String(required=True, metadata={"example": "1999.00"})
    currency = ma.fields.String(required=True, metadata={"example": "CNY"})

    @ma.validates("currency")
    def _currency(self, value: str, **_: Any) -> None:
        if len(value) != 3 or not value.isupper() or pycountry.currencies.get(alpha_3=value) is None:
            raise ma.ValidationError("Not an ISO 4217 currency code.")

    @ma.post_load
    def _decimal(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        try:
            value = Decimal(data["value"]) if AMOUNT.fullmatch(data["value"]) else None
        except InvalidOperation:
            value = None
        if value is None or value <= 0:
            raise ma.ValidationError("A positive decimal string, at most 4 decimals.", field_name="value")
        return {**data, "value": value}


class EvidenceSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(EVIDENCE_KINDS))
    sha256 = ma.fields.String(
        required=True, validate=FullMatch(HASH_PATTERN, error="A SHA-256 digest is 64 lowercase hex digits.")
    )
    size = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=10 * 2**30))
    captured_at = Timestamp(required=True)
    uri = ma.fields.String(load_default=None, validate=ma.validate.Length(max=2048))


class ReviewSchema(ma.Schema):
    ai_score = ma.fields.Float(required=True, validate=ma.validate.Range(min=0, max=1))
    ai_model = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    human_reviewer = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    reviewed_at = Timestamp(required=True)


class CertificationSchema(ma.Schema):
    """The submitter certifies a re-listing (docs/entries.md): only a reviewer reads it."""

    certified = ma.fields.Boolean(
        required=True, validate=ma.validate.Equal(True, error="Certify with true, or leave the certification out.")
    )
    statement = ma.fields.String(required=True, validate=ma.validate.Length(min=20, max=2000))


class SubmissionSchema(ma.Schema):
    case_ref = ma.fields.String(load_default=None, validate=FullMatch(CASE_REF))
    category = ma.fields.String(required=True, validate=ma.validate.OneOf(CATEGORIES))
    tier = ma.fields.Integer(required=True, strict=True, validate=ma.validate.OneOf((1, 2, 3)))
    amount = ma.fields.Nested(AmountSchema, load_default=None)
    occurred_at = Timestamp(required=True)
    identifiers = ma.fields.List(
        ma.fields.Nested(HashedIdentifierSchema), required=True, validate=ma.validate.Length(min=1, max=16)
    )
    evidence = ma.fields.List(
        ma.fields.Nested(EvidenceSchema), required=True, validate=ma.validate.Length(min=1, max=50)
    )
    review = ma.fields.Nested(ReviewSchema, required=True)
    relisting_certification = ma.fields.Nested(
        CertificationSchema,
        load_default=None,
        metadata={
            "description": "When listing someone whose earlier listing may have been overturned: your certification "
            "that this listing is complete, accurate and rests on new evidence. A listing that needs one is held "
            "for review either way."
        },
    )

    @ma.post_load
    def _submission(self, data: dict[str, Any], **_: Any) -> Submission:
        return Submission.from_validated(data)


class RekeyItemSchema(ma.Schema):
    ref = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32))
    identifiers = ma.fields.List(
        ma.fields.Nested(HashedIdentifierSchema), required=True, validate=ma.validate.Length(min=1, max=16)
    )

    @ma.post_load
    def _item(self, data: dict[str, Any], **_: Any) -> RekeyItem:
        return RekeyItem(ref=data["ref"], identifiers=flat_identifiers(data["identifiers"]))


class RekeySchema(ma.Schema):
    entries = ma.fields.List(
        ma.fields.Nested(RekeyItemSchema), required=True, validate=ma.validate.Length(min=1, max=MAX_BATCH)
    )


class RekeyResultItemSchema(ma.Schema):
    index = ma.fields.Integer()
    ref = ma.fields.String()
    status = ma.fields.String(metadata={"description": "rekeyed, unchanged, not_found or ended"})
    added = ma.fields.Integer(metadata={"description": "Hashes added under salts the entry lacked."})
    unmatched = ma.fields.List(
        ma.fields.Integer(), metadata={"description": "Identifiers sent that match none the entry holds (ignored)."}
    )


class RekeyResultSchema(ma.Schema):
    rekeyed = ma.fields.Integer()
    results = ma.fields.List(ma.fields.Nested(RekeyResultItemSchema))


class BatchSchema(ma.Schema):
    entries = ma.fields.List(ma.fields.Raw(), required=True, validate=ma.validate.Length(min=1, max=MAX_BATCH))


def load_batch_items(items: list[Any]) -> list[Submission | list[dict[str, str]]]:
    """Each item on its own: a Submission, or its field errors (pointers relative to the item)."""
    from ...errors import flatten_messages

    schema = SubmissionSchema()
    loaded: list[Submission | list[dict[str, str]]] = []
    for item in items:
        try:
            if not isinstance(item, dict) or not item.get("case_ref"):
                raise ma.ValidationError({"case_ref": ["Each batch item needs its case_ref."]})
            loaded.append(schema.load(item))
        except ma.ValidationError as error:
            loaded.append(flatten_messages({"json": error.messages}))
    return loaded


class IdentifierOutSchema(ma.Schema):
    type = ma.fields.String()
    key_id = ma.fields.String(metadata={"description": "The key id it was first listed under."})
    key_ids = ma.fields.List(ma.fields.String(), metadata={"description": "Every key id it is held under."})


class IdentifierGroups(ma.fields.List):
    """An entry's identifier rows, one item per identifier however many salts it is held under
    (the rows of one identifier share a position)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        groups: dict[int, dict[str, Any]] = {}
        for row in sorted(value or (), key=lambda row: (row.position, row.id or 0)):
            group = groups.setdefault(row.position, {"type": row.type, "key_id": row.key_id, "key_ids": []})
            group["key_ids"].append(row.key_id)
        return super()._serialize(list(groups.values()), attr, obj, **kwargs)


class EntrySchema(ma.Schema):
    ref = ma.fields.String()
    case_ref = ma.fields.String(allow_none=True)
    category = ma.fields.String()
    tier = ma.fields.Integer()
    amount = ma.fields.Function(
        lambda e: None if e.amount is None else {"value": format(e.amount.normalize(), "f"), "currency": e.currency}
    )
    occurred_at = ma.fields.AwareDateTime()
    expires_at = ma.fields.AwareDateTime()
    state = ma.fields.String()
    hold_reason = ma.fields.Function(
        lambda e: PUBLIC_REASON if e.state == "held" else None,
        metadata={"description": "While the entry is held: always 'review', whatever the hold's cause."},
    )
    identifiers = IdentifierGroups(
        ma.fields.Nested(IdentifierOutSchema),
        metadata={"description": "Types and key ids only: the server keeps no member-supplied hash."},
    )
    evidence = ma.fields.List(ma.fields.Nested(EvidenceSchema))
    review = ma.fields.Function(
        lambda e: {
            "ai_score": e.ai_score,
            "ai_model": e.ai_model,
            "human_reviewer": e.human_reviewer,
            "reviewed_at": e.reviewed_at.isoformat(),
        }
    )
    created_at = ma.fields.AwareDateTime()
    listed_at = ma.fields.AwareDateTime(
        allow_none=True, metadata={"description": "When it was published: at submission, or at a hold's approval."}
    )
    updated_at = ma.fields.AwareDateTime()
    ended_at = ma.fields.AwareDateTime(allow_none=True)
    end_reason = ma.fields.String(allow_none=True)
    purged = ma.fields.Function(lambda e: e.purged_at is not None)


class EntryPageSchema(ma.Schema):
    entries = ma.fields.List(ma.fields.Nested(EntrySchema))
    next_cursor = ma.fields.String(allow_none=True)


class EntryQuerySchema(ma.Schema):
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))
    cursor = ma.fields.String(load_default=None)
    state = ma.fields.String(load_default=None, validate=ma.validate.OneOf(STATES))
    category = ma.fields.String(load_default=None, validate=ma.validate.OneOf(CATEGORIES))
    tier = ma.fields.Integer(load_default=None, validate=ma.validate.OneOf((1, 2, 3)))
    case_ref = ma.fields.String(load_default=None)


class RetractSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))


class BatchItemResultSchema(ma.Schema):
    index = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "created, existing, rejected or conflict"})
    entry = ma.fields.Nested(EntrySchema, allow_none=True)
    code = ma.fields.String(allow_none=True)
    detail = ma.fields.String(allow_none=True)
    errors = ma.fields.List(ma.fields.Dict(), allow_none=True)


class BatchResultSchema(ma.Schema):
    created = ma.fields.Integer()
    existing = ma.fields.Integer()
    rejected = ma.fields.Integer()
    results = ma.fields.List(ma.fields.Nested(BatchItemResultSchema))


def load_submission(payload: dict[str, Any]) -> Submission:
    """Validate one wire payload outside a request (CLI import); errors as :class:`ValidationFailed`."""
    from ...errors import ValidationFailed, flatten_messages

    try:
        return SubmissionSchema().load(payload)
    except ma.ValidationError as error:
        errors = flatten_messages({"row": error.messages})
        raise ValidationFailed("The row is not a valid entry.", errors=errors) from None
