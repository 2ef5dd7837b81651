"""Wire shapes of the change feed and of webhooks."""

from __future__ import annotations

import marshmallow as ma

from .fields import row_id


class ChangeQuerySchema(ma.Schema):
    after = row_id(load_default=0)
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))


class ChangeSchema(ma.Schema):
    position = ma.fields.Integer()
    type = ma.fields.String(
        metadata={
            "description": "public: listed, retracted, suspended, reinstated, delisted, expired; "
            "addressed to the entry's submitter: dispute_opened, dispute_deadline_near; "
            "addressed to each admin member: alert_raised (data: alert, kind; entry empty)"
        }
    )
    entry = ma.fields.String(metadata={"description": "the entry's opaque reference"})
    data = ma.fields.Dict()
    at = ma.fields.AwareDateTime(attribute="created_at")


class ChangePageSchema(ma.Schema):
    changes = ma.fields.List(ma.fields.Nested(ChangeSchema))
    next_cursor = ma.fields.Integer(metadata={"description": "pass as ?after= to resume"})


class WebhookInSchema(ma.Schema):
    url = ma.fields.String(required=True, validate=ma.validate.Length(min=8, max=2048))


class WebhookSchema(ma.Schema):
    id = ma.fields.Integer()
    url = ma.fields.String()
    created_at = ma.fields.AwareDateTime()


class AttemptSchema(ma.Schema):
    attempted_at = ma.fields.AwareDateTime()
    status_code = ma.fields.Integer(allow_none=True)
    error = ma.fields.String(allow_none=True)
    duration_ms = ma.fields.Integer()


class DeliverySchema(ma.Schema):
    id = ma.fields.Integer()
    position = ma.fields.Integer()
    state = ma.fields.String()
    attempts = ma.fields.Integer()
    next_attempt_at = ma.fields.AwareDateTime()
    delivered_at = ma.fields.AwareDateTime(allow_none=True)
    log = ma.fields.List(ma.fields.Nested(AttemptSchema))
