"""Wire shapes of the case a reviewer reads (``disputes/cases.py``): reviewers only."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from .disputes import ReviewerAppealSchema, ReviewerDisputeSchema


class ListedEvidenceSchema(ma.Schema):
    kind = ma.fields.String()
    sha256 = ma.fields.String()
    size = ma.fields.Integer()
    captured_at = ma.fields.AwareDateTime()
    uri = ma.fields.String(allow_none=True)


class DualReviewSchema(ma.Schema):
    """The two checks every listing passed: a model's score and a named human reviewer."""

    ai_score = ma.fields.Float()
    ai_model = ma.fields.String()
    human_reviewer = ma.fields.String()
    reviewed_at = ma.fields.AwareDateTime()


class CaseEntrySchema(ma.Schema):
    ref = ma.fields.String()
    listed_by = ma.fields.String(attribute="member_id")
    category = ma.fields.String()
    tier = ma.fields.Integer()
    amount = ma.fields.Decimal(as_string=True, allow_none=True)
    currency = ma.fields.String(allow_none=True)
    occurred_at = ma.fields.AwareDateTime()
    submitted_at = ma.fields.AwareDateTime(attribute="created_at")
    listed_at = ma.fields.AwareDateTime(allow_none=True)
    expires_at = ma.fields.AwareDateTime()
    state = ma.fields.String()
    open_disputes = ma.fields.Integer()
    evidence = ma.fields.List(ma.fields.Nested(ListedEvidenceSchema))
    dual_review = ma.fields.Function(lambda entry: DualReviewSchema().dump(entry))


def _files(appeal_ref: str, files: list[Any]) -> list[dict[str, Any]]:
    """The appellant's evidence digests; a held file can be downloaded (reviewers only)."""
    return [
        {
            "kind": item.kind,
            "sha256": item.sha256,
            "size": item.size,
            "stored": item.stored,
            "download": f"/v1/appeals/{appeal_ref}/evidence/{item.sha256}" if item.stored else None,
        }
        for item in files
    ]


class CaseSchema(ma.Schema):
    entry = ma.fields.Function(lambda case: CaseEntrySchema().dump(case.dispute.entry))
    appeal = ma.fields.Method("_appeal", metadata={"description": "the appeal that opened it, if one did"})
    answer_overdue = ma.fields.Boolean()
    decision_overdue = ma.fields.Boolean()

    def _appeal(self, case: Any) -> dict[str, Any] | None:
        appeal = case.dispute.appeal
        if appeal is None:
            return None
        return {"ref": appeal.ref, "statement": appeal.statement, "files": _files(appeal.ref, case.appeal_files)}


class ReviewerDisputeCaseSchema(CaseSchema):
    """``GET /v1/disputes/{ref}`` for a reviewer: the dispute as reviewers see it, plus ``case``."""

    @ma.post_dump(pass_original=True)
    def _beside_the_dispute(self, data: dict[str, Any], case: Any, **_: Any) -> dict[str, Any]:
        return {**ReviewerDisputeSchema().dump(case.dispute), "case": data}


class AppealCaseSchema(ma.Schema):
    """``GET /v1/appeals/{ref}/case``: the appeal, its files, and every dispute it opened with its case."""

    appeal = ma.fields.Function(
        lambda case: {
            **ReviewerAppealSchema().dump(case.appeal),
            "files": _files(case.appeal.ref, case.files),
        }
    )
    decision_overdue = ma.fields.Boolean()
    disputes = ma.fields.List(ma.fields.Nested(ReviewerDisputeCaseSchema))
