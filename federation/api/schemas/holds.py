"""Wire shapes of held entries, as reviewers see them (members see only ``hold_reason``)."""

from __future__ import annotations

import marshmallow as ma

from ...entries.holds import DECISIONS


def _guards(case) -> list[dict]:
    return [
        {
            "overturned_entry": guard.entry.ref,
            "cause": guard.cause,
            "dispute": guard.dispute_ref,
            "appeal": guard.appeal_ref,
            "decided_at": guard.created_at.isoformat(),
            "until": case.guard_until(guard).isoformat(),
        }
        for guard in case.guards
    ]


class HoldCaseSchema(ma.Schema):
    """A hold with its case: who listed, what the overturned cases were, what is new."""

    entry = ma.fields.String(attribute="hold.entry.ref")
    entry_state = ma.fields.String(attribute="hold.entry.state")
    submitted_by = ma.fields.String(attribute="hold.entry.member_id")
    category = ma.fields.String(attribute="hold.entry.category")
    tier = ma.fields.Integer(attribute="hold.entry.tier")
    occurred_at = ma.fields.AwareDateTime(attribute="hold.entry.occurred_at")
    cause = ma.fields.String(attribute="hold.cause")
    state = ma.fields.String(attribute="hold.state")
    held_at = ma.fields.AwareDateTime(attribute="hold.created_at")
    evidence = ma.fields.Function(lambda c: [{"kind": e.kind, "sha256": e.sha256} for e in c.hold.entry.evidence])
    new_evidence = ma.fields.List(ma.fields.String(), attribute="hold.new_evidence")
    certified = ma.fields.Boolean(attribute="hold.certified")
    certification = ma.fields.String(attribute="hold.certification", allow_none=True)
    missing = ma.fields.List(
        ma.fields.String(), attribute="gaps", metadata={"description": "What it lacks to be approvable"}
    )
    overturned_cases = ma.fields.Function(_guards)
    decided_by = ma.fields.String(attribute="hold.decided_by", allow_none=True)
    decision_reason = ma.fields.String(attribute="hold.decision_reason", allow_none=True)
    decided_at = ma.fields.AwareDateTime(attribute="hold.decided_at", allow_none=True)


class HoldQueueSchema(ma.Schema):
    holds = ma.fields.List(ma.fields.Nested(HoldCaseSchema))


class HoldDecisionSchema(ma.Schema):
    decision = ma.fields.String(required=True, validate=ma.validate.OneOf(DECISIONS))
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))
