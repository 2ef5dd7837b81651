"""Wire shapes of protective registrations: the registering member's view and the reviewers'."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from ...database import utcnow
from ...entries.rules import flat_identifiers
from ...identifiers import HASH_PATTERN
from ...protective.models import REASONS
from ...protective.service import status
from .entries import CASE_REF, HashedIdentifierSchema
from .fields import FullMatch

_DIGEST = FullMatch(HASH_PATTERN, error="A SHA-256 digest is 64 lowercase hex digits.")


class RegistrationRequestSchema(ma.Schema):
    """A member registers its own customer, who proved to it that someone else used their identifiers."""

    case_ref = ma.fields.String(
        required=True,
        validate=FullMatch(CASE_REF),
        metadata={"description": "Your own case id; re-sending it returns the first registration."},
    )
    identifiers = ma.fields.List(
        ma.fields.Nested(HashedIdentifierSchema),
        required=True,
        validate=ma.validate.Length(min=1, max=8),
        metadata={"description": "Each identifier hashed under every accepted salt (hashes), as the SDK does."},
    )
    reason = ma.fields.String(required=True, validate=ma.validate.OneOf(REASONS))
    evidence = ma.fields.List(
        ma.fields.String(validate=_DIGEST),
        required=True,
        validate=ma.validate.Length(min=1, max=20),
        metadata={"description": "SHA-256 digests of the proof (police report, carrier record); files stay with you."},
    )

    @ma.post_load
    def _flat(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "identifiers": flat_identifiers(data["identifiers"])}


class WithdrawalSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))


class AppealRegistrationSchema(ma.Schema):
    """A reviewer registers an appellant's identifiers after reading the appeal's case."""

    reason = ma.fields.String(required=True, validate=ma.validate.OneOf(REASONS))


class RegistrationSchema(ma.Schema):
    """What the registering member sees: its own registration, nothing about listings."""

    ref = ma.fields.String()
    case_ref = ma.fields.String(allow_none=True)
    types = ma.fields.List(ma.fields.String())
    reason = ma.fields.String()
    status = ma.fields.Function(lambda r: status(r, utcnow()), metadata={"description": "active, expired or withdrawn"})
    confirmed = ma.fields.Function(lambda r: r.confirmed_at is not None)
    created_at = ma.fields.AwareDateTime()
    expires_at = ma.fields.AwareDateTime(metadata={"description": "The review date: the flag holds until then."})
    withdrawn_at = ma.fields.AwareDateTime(allow_none=True)


class RegistrationListSchema(ma.Schema):
    registrations = ma.fields.List(ma.fields.Nested(RegistrationSchema))


class ReviewerRegistrationSchema(RegistrationSchema):
    """Reviewers see who registered and on what evidence: they check members' registrations."""

    source = ma.fields.String(metadata={"description": "member or appeal"})
    member = ma.fields.String(attribute="member_id", allow_none=True)
    appeal = ma.fields.String(attribute="appeal_ref", allow_none=True)
    evidence = ma.fields.List(ma.fields.String())
    created_by = ma.fields.String()
    confirmed_by = ma.fields.String(allow_none=True)
    confirmed_at = ma.fields.AwareDateTime(allow_none=True)
    withdrawn_by = ma.fields.String(allow_none=True)
    withdraw_reason = ma.fields.String(allow_none=True)


class ReviewerRegistrationListSchema(ma.Schema):
    registrations = ma.fields.List(ma.fields.Nested(ReviewerRegistrationSchema))
