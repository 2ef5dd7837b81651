"""Wire shapes of members and keys."""

from __future__ import annotations

import marshmallow as ma

from ...members.models import ROLES, STATUSES
from ...members.service import MAX_DAILY_LOOKUPS
from .reputation import StandingSchema


class MemberSchema(ma.Schema):
    id = ma.fields.String(dump_only=True)
    display_name = ma.fields.String()
    status = ma.fields.String()
    roles = ma.fields.Function(lambda member: member.roles.split())
    trust_weight = ma.fields.Float()
    contact = ma.fields.String()
    declared_daily_lookups = ma.fields.Integer(allow_none=True)
    daily_lookup_quota = ma.fields.Integer(
        allow_none=True, metadata={"description": "An admin's override of the daily lookup budget; null: sized."}
    )
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    #: Reputation (issue 13 point 4): shown with one member (``/me``, ``/{id}``), not in lists.
    standing = ma.fields.Nested(StandingSchema, dump_only=True)


class NewMemberSchema(ma.Schema):
    id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    display_name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    roles = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(ROLES)), required=True)
    contact = ma.fields.String(load_default="", validate=ma.validate.Length(max=320))
    trust_weight = ma.fields.Float(load_default=1.0, validate=ma.validate.Range(min=0, max=1))
    status = ma.fields.String(load_default="pending", validate=ma.validate.OneOf(STATUSES))
    declared_daily_lookups = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Range(min=0, max=MAX_DAILY_LOOKUPS),
        metadata={"description": "Lookups per day the platform expects to make; sizes its lookup budget."},
    )


class LookupBudgetChangeSchema(ma.Schema):
    """Fields left out stay as they are; null clears one."""

    declared_daily_lookups = ma.fields.Integer(
        allow_none=True, validate=ma.validate.Range(min=0, max=MAX_DAILY_LOOKUPS)
    )
    daily_lookup_quota = ma.fields.Integer(
        allow_none=True,
        validate=ma.validate.Range(min=0, max=MAX_DAILY_LOOKUPS),
        metadata={"description": "Override of the daily budget in identifiers; null: sized from the declared volume."},
    )
    reason = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=500),
        metadata={"description": "Why: recorded in the audit event. No personal data."},
    )


class LookupBudgetSchema(ma.Schema):
    daily = ma.fields.Integer(metadata={"description": "Identifiers per UTC day."})
    burst_per_minute = ma.fields.Integer(metadata={"description": "Identifiers per UTC minute."})
    overridden = ma.fields.Boolean(metadata={"description": "Set by an admin rather than sized from the volume."})
    used_today = ma.fields.Integer()
    used_this_minute = ma.fields.Integer()
    resets_at = ma.fields.AwareDateTime(metadata={"description": "Next 00:00 UTC."})


class OwnMemberSchema(MemberSchema):
    """``GET /v1/members/me``: your record and where you stand against your limits."""

    lookup_budget = ma.fields.Nested(LookupBudgetSchema)


class StatusChangeSchema(ma.Schema):
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))


class KeySchema(ma.Schema):
    kid = ma.fields.String()
    alg = ma.fields.String()
    public_jwk = ma.fields.Dict()
    thumbprint = ma.fields.String()
    active = ma.fields.Boolean()
    created_at = ma.fields.AwareDateTime()
    revoked_at = ma.fields.AwareDateTime(allow_none=True)


class NewKeySchema(ma.Schema):
    kid = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=128))
    public_key = ma.fields.Raw(
        required=True,
        metadata={"description": "A PEM 'PUBLIC KEY' string or a public JWK object (Ed25519 or P-256)."},
    )


class TokenFormSchema(ma.Schema):
    """Documents the form; the grant's rules (and OAuth error codes) live in the service."""

    class Meta:
        unknown = ma.EXCLUDE

    grant_type = ma.fields.String(metadata={"example": "client_credentials"})
    client_assertion_type = ma.fields.String(
        metadata={"example": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}
    )
    client_assertion = ma.fields.String()
    client_id = ma.fields.String()
    scope = ma.fields.String()


class TokenSchema(ma.Schema):
    access_token = ma.fields.String()
    token_type = ma.fields.String()
    expires_in = ma.fields.Integer()
    scope = ma.fields.String()
