"""Wire shapes of lookups and joint rules, for the OpenAPI document.

Lookup requests are validated by ``lookups/requests.py`` (by hand, for speed)
and results are built as plain dicts; these schemas describe both exactly.
"""

from __future__ import annotations

import marshmallow as ma

from ...identifiers import IDENTIFIER_TYPES, MAX_HASHES
from ...lookups.references import MAX_REFERENCE_LENGTH, REFERENCE_PATTERN
from ...lookups.requests import MAX_IDENTIFIERS, PURPOSES
from .entries import KeyedHashSchema


class QueryIdentifierSchema(ma.Schema):
    type = ma.fields.String(required=True, validate=ma.validate.OneOf(IDENTIFIER_TYPES))
    hash = ma.fields.String(metadata={"description": "64 lowercase hex digits (with key_id; or give hashes)"})
    key_id = ma.fields.String()
    hashes = ma.fields.List(
        ma.fields.Nested(KeyedHashSchema),
        validate=ma.validate.Length(min=1, max=MAX_HASHES),
        metadata={
            "description": "Instead of hash and key_id: the same identifier hashed under several accepted "
            "salts (one per key id); it matches if any of them does, and counts as one identifier."
        },
    )
    subject = ma.fields.String(metadata={"description": "Groups identifiers of one person, e.g. 'complainant'."})


class LookupRequestSchema(ma.Schema):
    purpose = ma.fields.String(required=True, validate=ma.validate.OneOf(PURPOSES))
    reference = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(min=1, max=MAX_REFERENCE_LENGTH), ma.validate.Regexp(REFERENCE_PATTERN)],
        metadata={
            "description": "Your own complaint or order id for this lookup, audited with it; refused when it "
            "reads as a personal identifier (phone number, national id, IP address).",
            "example": "CMP-2026-000123",
        },
    )
    identifiers = ma.fields.List(
        ma.fields.Nested(QueryIdentifierSchema), required=True, validate=ma.validate.Length(min=1, max=MAX_IDENTIFIERS)
    )


class ActionSchema(ma.Schema):
    action = ma.fields.String(metadata={"description": "accept, review, warn_and_freeze, ban, refer_to_police"})
    rule = ma.fields.String(metadata={"description": "The ladder rule that fired."})
    strikes = ma.fields.Integer()
    total_amount = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    freeze_until = ma.fields.String(allow_none=True)


class MatchSchema(ma.Schema):
    ref = ma.fields.String()
    category = ma.fields.String()
    tier = ma.fields.Integer()
    state = ma.fields.String(metadata={"description": "active, disputed or suspended"})
    occurred_at = ma.fields.String()
    reported_at = ma.fields.String()
    weight = ma.fields.Float()
    provisional = ma.fields.Boolean(
        metadata={
            "description": "Listed by a member on probation, neither confirmed by a reviewer nor corroborated by "
            "another member in this answer: it recommends review at most (docs/scoring.md)."
        }
    )


class IdentifierResultSchema(ma.Schema):
    index = ma.fields.Integer()
    type = ma.fields.String()
    subject = ma.fields.String(allow_none=True)
    matched = ma.fields.Boolean()
    confidence = ma.fields.Float()
    reporting_members = ma.fields.Integer()
    first_reported_at = ma.fields.String()
    last_reported_at = ma.fields.String()
    protective_registration = ma.fields.Boolean(
        metadata={"description": "An identity-theft victim's identifier: never more than review on it alone."}
    )
    matches = ma.fields.List(ma.fields.Nested(MatchSchema))
    factors = ma.fields.Dict()
    recommended_action = ma.fields.Nested(ActionSchema)


class SubjectResultSchema(ma.Schema):
    subject = ma.fields.String()
    identifiers = ma.fields.Integer()
    confidence = ma.fields.Float()
    matched_entries = ma.fields.Integer()
    reporting_members = ma.fields.Integer()
    protective_registration = ma.fields.Boolean(
        metadata={"description": "An identity-theft victim's identifier: never more than review on it alone."}
    )
    factors = ma.fields.Dict()
    recommended_action = ma.fields.Nested(ActionSchema)


class LookupResultSchema(ma.Schema):
    purpose = ma.fields.String()
    reference = ma.fields.String()
    looked_up_at = ma.fields.String()
    hits = ma.fields.Integer()
    identifiers = ma.fields.List(ma.fields.Nested(IdentifierResultSchema))
    subjects = ma.fields.List(ma.fields.Nested(SubjectResultSchema))


class StatsQuerySchema(ma.Schema):
    days = ma.fields.Integer(load_default=30, validate=ma.validate.Range(min=1, max=366))


class RulesSchema(ma.Schema):
    version = ma.fields.String()
    effective_at = ma.fields.AwareDateTime()
    published_at = ma.fields.AwareDateTime()
    text = ma.fields.Function(lambda rules: {"zh-CN": rules.text_zh, "en": rules.text_en})
    ladder = ma.fields.Dict(metadata={"description": "The tier ladder parameters in force."})
