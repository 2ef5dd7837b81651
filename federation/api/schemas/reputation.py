"""Wire shapes of a member's standing (effective trust, probation) and of reviewers' confirmations."""

from __future__ import annotations

import marshmallow as ma

_REASON = ma.fields.String(
    required=True,
    validate=ma.validate.Length(min=1, max=500),
    metadata={"description": "Why: recorded in the audit event. No personal data."},
)


class TrustInputsSchema(ma.Schema):
    entries = ma.fields.Integer(metadata={"description": "Published listings (held and rejected ones never counted)."})
    overturned = ma.fields.Integer(metadata={"description": "Delisted on an upheld dispute or appeal."})
    retracted = ma.fields.Integer(metadata={"description": "Withdrawn by the member itself (concessions included)."})
    age_days = ma.fields.Float(metadata={"description": "Days of membership."})
    overturned_share = ma.fields.Float(metadata={"description": "overturned / (entries + prior_entries)"})
    retracted_share = ma.fields.Float(metadata={"description": "retracted / (entries + prior_entries)"})
    age_factor = ma.fields.Float()


class TrustOverrideSchema(ma.Schema):
    trust = ma.fields.Float()
    reason = ma.fields.String()
    set_at = ma.fields.AwareDateTime()


class ProbationSchema(ma.Schema):
    on_probation = ma.fields.Boolean()
    until = ma.fields.AwareDateTime(
        allow_none=True, metadata={"description": "When probation ends (or ended); null: never on probation."}
    )


class StandingSchema(ma.Schema):
    """docs/scoring.md, "Reporter reputation and probation"."""

    effective_trust = ma.fields.Float(metadata={"description": "What your listings weigh in scoring now."})
    base_trust = ma.fields.Float(metadata={"description": "The trust admins gave: the formula's base."})
    computed_trust = ma.fields.Float(allow_none=True, metadata={"description": "The formula's result."})
    computed_at = ma.fields.AwareDateTime(allow_none=True)
    inputs = ma.fields.Nested(TrustInputsSchema, allow_none=True)
    override = ma.fields.Nested(
        TrustOverrideSchema, allow_none=True, metadata={"description": "An admin's trust, winning over the formula."}
    )
    probation = ma.fields.Nested(ProbationSchema)


class TrustChangeSchema(ma.Schema):
    base = ma.fields.Float(
        validate=ma.validate.Range(min=0, max=1), metadata={"description": "A new base trust for the formula."}
    )
    override = ma.fields.Float(
        allow_none=True,
        validate=ma.validate.Range(min=0, max=1),
        metadata={"description": "Trust that wins over the formula; null removes the override."},
    )
    reason = _REASON


class ProbationChangeSchema(ma.Schema):
    until = ma.fields.AwareDateTime(
        required=True, allow_none=True, metadata={"description": "New end of probation (future); null ends it now."}
    )
    reason = _REASON


class ConfirmationSchema(ma.Schema):
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))


class ConfirmedEntrySchema(ma.Schema):
    ref = ma.fields.String()
    state = ma.fields.String()
    confirmed_at = ma.fields.AwareDateTime()
