"""Wire shapes of admin alerts."""

from __future__ import annotations

import marshmallow as ma

from ...alerts.models import KINDS, STATES


class AlertQuerySchema(ma.Schema):
    state = ma.fields.String(
        validate=ma.validate.OneOf(STATES),
        metadata={"description": "only alerts in this state; default: every unresolved one (open, acknowledged)"},
    )


class AlertSchema(ma.Schema):
    ref = ma.fields.String()
    kind = ma.fields.String(metadata={"description": " | ".join(KINDS)})
    member = ma.fields.String(attribute="member_id", metadata={"description": "the member the alert is about"})
    state = ma.fields.String(metadata={"description": " | ".join(STATES)})
    raised_at = ma.fields.AwareDateTime()
    details = ma.fields.Dict(metadata={"description": "the figures and thresholds that raised it; never a hash"})
    repeats = ma.fields.Integer(metadata={"description": "times the condition was seen again while unresolved"})
    acknowledged_by = ma.fields.String(allow_none=True)
    acknowledged_at = ma.fields.AwareDateTime(allow_none=True)
    acknowledge_reason = ma.fields.String(allow_none=True)
    resolved_by = ma.fields.String(allow_none=True)
    resolved_at = ma.fields.AwareDateTime(allow_none=True)
    resolve_reason = ma.fields.String(allow_none=True)


class AlertListSchema(ma.Schema):
    alerts = ma.fields.List(ma.fields.Nested(AlertSchema))


class AlertActionSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))
