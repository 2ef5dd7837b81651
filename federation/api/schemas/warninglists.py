"""Wire shapes of warninglists: the MISP document admins import, and what the server keeps of it."""

from __future__ import annotations

import marshmallow as ma

from ...warninglists.misp import ACTIONS, KINDS, MAX_DESCRIPTION, MAX_NAME, UNSUPPORTED_KINDS


class MispWarninglistSchema(ma.Schema):
    """A MISP warninglist (github.com/MISP/misp-warninglists) plus the ``federation_*`` extension.

    Other members MISP tools add are ignored. Semantic checks (a known attribute type, usable
    values) answer 422 with a pointer into the document.
    """

    class Meta:
        unknown = ma.EXCLUDE

    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=MAX_NAME))
    version = ma.fields.Integer(strict=True, load_default=1, validate=ma.validate.Range(min=0, max=2**31 - 1))
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=MAX_DESCRIPTION))
    type = ma.fields.String(
        load_default="string",
        metadata={"description": f"One of {', '.join(KINDS)}; {', '.join(UNSUPPORTED_KINDS)} are refused."},
    )
    matching_attributes = ma.fields.List(ma.fields.String(), metadata={"description": "e.g. phone-number, email"})
    list = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=1000)),
        required=True,
        validate=ma.validate.Length(min=1, max=1_000_000),
    )
    federation_action = ma.fields.String(load_default="refuse", validate=ma.validate.OneOf(ACTIONS))
    federation_weight = ma.fields.Float(
        validate=ma.validate.Range(min=0, max=1), metadata={"description": "downweight: what a match counts, 0..1"}
    )
    federation_local_parts = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=64)),
        metadata={"description": "hostname lists: mailbox names made into role addresses of each domain"},
    )


class WarninglistSchema(ma.Schema):
    """A list as the server keeps it: no values, only how many and under which salts."""

    id = ma.fields.Integer()
    name = ma.fields.String()
    version = ma.fields.Integer()
    description = ma.fields.String()
    type = ma.fields.String(attribute="kind")
    action = ma.fields.String()
    weight = ma.fields.Float()
    enabled = ma.fields.Boolean()
    types = ma.fields.List(ma.fields.String(), metadata={"description": "Identifier types its values were read as"})
    listed_values = ma.fields.Integer()
    hashed_values = ma.fields.Integer()
    skipped_values = ma.fields.Integer()
    key_ids = ma.fields.List(ma.fields.String(), metadata={"description": "Salts its hashes are under"})
    sha256 = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class SkippedValueSchema(ma.Schema):
    index = ma.fields.Integer(metadata={"description": "Position in the document's list"})
    reason = ma.fields.String()


class ImportResultSchema(ma.Schema):
    warninglist = ma.fields.Nested(WarninglistSchema)
    created = ma.fields.Boolean()
    marked_identifiers = ma.fields.Integer(
        attribute="marked", metadata={"description": "Entry identifiers already listed that it now marks"}
    )
    skipped = ma.fields.Function(
        lambda result: [{"index": index, "reason": reason} for index, reason in result.skipped[:1000]],
        metadata={"description": "Values that could not be hashed (first 1,000)"},
    )


class WarninglistsSchema(ma.Schema):
    warninglists = ma.fields.List(ma.fields.Nested(WarninglistSchema))
