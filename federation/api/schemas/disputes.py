"""Wire shapes of disputes and appeals."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app

from ...database import utcnow
from ...disputes.appeals import APPEALABLE_TYPES, DECISIONS
from ...disputes.calendar import WorkingCalendar
from ...disputes.models import ANSWERS, DECIDER_ROLES
from ...disputes.service import overdue as is_overdue
from ...entries.models import EVIDENCE_KINDS
from ...identifiers import HASH_PATTERN
from .fields import FullMatch

LANGUAGES = ("zh-CN", "en")
#: Bounds of an appeal's free-text fields; the public pages quote them to the person.
STATEMENT_LENGTH = (20, 4000)
CONTACT_LENGTH = (3, 200)


class DigestSchema(ma.Schema):
    """A piece of evidence by its digest; the file stays with whoever holds it."""

    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(EVIDENCE_KINDS))
    sha256 = ma.fields.String(
        required=True, validate=FullMatch(HASH_PATTERN, error="A SHA-256 digest is 64 lowercase hex digits.")
    )
    size = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=1, max=10 * 2**30))


def _evidence(required: bool = False) -> ma.fields.List:
    if required:
        return ma.fields.List(ma.fields.Nested(DigestSchema), required=True, validate=ma.validate.Length(min=1, max=20))
    return ma.fields.List(ma.fields.Nested(DigestSchema), load_default=list, validate=ma.validate.Length(max=20))


class DisputeFileSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=10, max=2000))
    evidence = _evidence()


class DisputeAnswerSchema(ma.Schema):
    answer = ma.fields.String(required=True, validate=ma.validate.OneOf(ANSWERS))
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    evidence = _evidence()

    @ma.validates_schema
    def _uphold_needs_evidence(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("answer") == "uphold" and not data.get("evidence"):
            raise ma.ValidationError("Keeping a listing needs evidence.", field_name="evidence")


def _expedite_reason() -> ma.fields.String:
    return ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(min=10, max=2000),
        metadata={"description": "required to decide before the submitter answered or its deadline passed"},
    )


class DisputeDecisionSchema(ma.Schema):
    outcome = ma.fields.String(required=True, validate=ma.validate.OneOf(("upheld", "rejected")))
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))
    expedite_reason = _expedite_reason()


class DisputeQuerySchema(ma.Schema):
    role = ma.fields.String(load_default="submitter", validate=ma.validate.OneOf(("submitter", "filer", "reviewer")))
    open = ma.fields.Boolean(load_default=False)


class DisputeSchema(ma.Schema):
    """A dispute as its parties see it: never who listed the entry, never who disputed it."""

    ref = ma.fields.String()
    entry = ma.fields.Function(lambda d: d.entry.ref)
    origin = ma.fields.Function(lambda d: "appeal" if d.appeal_id else "member")
    state = ma.fields.String()
    reason = ma.fields.String()
    evidence = ma.fields.List(ma.fields.Dict())
    respond_by = ma.fields.AwareDateTime()
    decide_by = ma.fields.AwareDateTime()
    answer = ma.fields.String(allow_none=True)
    answer_note = ma.fields.String(allow_none=True)
    answer_evidence = ma.fields.List(ma.fields.Dict(), allow_none=True)
    answered_at = ma.fields.AwareDateTime(allow_none=True)
    entry_suspended_at = ma.fields.AwareDateTime(attribute="suspended_entry_at", allow_none=True)
    outcome = ma.fields.String(allow_none=True)
    #: A role, never an id: after a ``retract`` the id would be the submitter's.
    decided_by_role = ma.fields.Function(
        lambda d: DECIDER_ROLES.get(d.outcome), metadata={"description": "submitter, reviewer or system"}
    )
    decision_reason = ma.fields.String(allow_none=True)
    decided_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()


class ReviewerDisputeSchema(DisputeSchema):
    """Reviewers see both parties, who decided, and why a decision came early."""

    decided_by = ma.fields.String(allow_none=True)
    expedite_reason = ma.fields.String(allow_none=True)
    filed_by = ma.fields.String(allow_none=True)
    submitted_by = ma.fields.Function(lambda d: d.entry.member_id)
    appeal = ma.fields.Function(lambda d: d.appeal.ref if d.appeal else None)
    overdue = ma.fields.Function(lambda d: is_overdue(d, utcnow()))


class RawIdentifierSchema(ma.Schema):
    type = ma.fields.String(required=True, validate=ma.validate.OneOf(APPEALABLE_TYPES))
    value = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=256))


class AppealSchema(ma.Schema):
    identifiers = ma.fields.List(
        ma.fields.Nested(RawIdentifierSchema), required=True, validate=ma.validate.Length(min=1, max=5)
    )
    statement = ma.fields.String(required=True, validate=ma.validate.Length(*STATEMENT_LENGTH))
    contact = ma.fields.String(required=True, validate=ma.validate.Length(*CONTACT_LENGTH))
    evidence = _evidence(required=True)
    language = ma.fields.String(load_default="zh-CN", validate=ma.validate.OneOf(LANGUAGES))

    @ma.validates_schema(skip_on_field_errors=True)
    def _id_video(self, data: dict[str, Any], **_: Any) -> None:
        """A schema-level check, so it only sees evidence whose every item loaded (a field
        validator also runs on the half-loaded list of a list with a bad item)."""
        if not any(item["kind"] == "id_video" for item in data["evidence"]):
            raise ma.ValidationError("Include the digest of a handheld-ID video (kind id_video).", "evidence")


class AppealReceiptSchema(ma.Schema):
    appeal = ma.fields.String(attribute="appeal.ref")
    status_token = ma.fields.String()
    state = ma.fields.String(attribute="appeal.state")


class AppealStatusSchema(ma.Schema):
    """What an appellant sees: progress, deadline, decision. Never what matched."""

    appeal = ma.fields.String(attribute="ref")
    state = ma.fields.String()
    received_at = ma.fields.AwareDateTime(attribute="created_at")
    decide_by = ma.fields.AwareDateTime()
    #: The working day ``decide_by`` ends, in the calendar's zone (``FEDERATION_CALENDAR_TZ``).
    decide_by_date = ma.fields.Function(lambda a: _calendar().local_date(a.decide_by).isoformat())
    time_zone = ma.fields.Function(lambda a: _calendar().time_zone)
    decided_at = ma.fields.AwareDateTime(allow_none=True)
    decision_reason = ma.fields.String(allow_none=True)


def _calendar() -> WorkingCalendar:
    return current_app.extensions["federation.due_process"].deadlines.calendar


class ReviewerAppealSchema(AppealStatusSchema):
    #: The case it belongs to (``disputes/cases.py``): the ref of the case's first appeal. Never shown to appellants.
    case = ma.fields.String(attribute="case_ref")
    overdue = ma.fields.Function(lambda a: is_overdue(a, utcnow()))
    statement = ma.fields.String()
    evidence = ma.fields.List(ma.fields.Dict())
    language = ma.fields.String()
    decided_by = ma.fields.String(allow_none=True)
    disputes = ma.fields.Function(lambda a: [d.ref for d in a.disputes])


class ReviewCaseSchema(ma.Schema):
    """Appeals about the same identifiers, decided together."""

    case = ma.fields.String(attribute="ref")
    decide_by = ma.fields.AwareDateTime()
    appeals = ma.fields.Function(lambda c: [a.ref for a in c.appeals])
    disputes = ma.fields.Function(lambda c: [d.ref for d in c.disputes])


class StatusCodeRequestSchema(ma.Schema):
    contact = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=200))


class StatusCodeRequestedSchema(ma.Schema):
    """The one answer to every request for a new status code."""

    detail = ma.fields.String()


class AppealDecisionSchema(ma.Schema):
    decision = ma.fields.String(required=True, validate=ma.validate.OneOf(DECISIONS))
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))
    expedite_reason = _expedite_reason()
