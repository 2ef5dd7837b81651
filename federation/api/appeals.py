"""Public delisting appeals (no credentials) and reviewers' decisions on them."""

from __future__ import annotations

from flask import current_app, request

from ..database import utcnow
from ..disputes import appeals
from ..extensions import db
from .auth import current_principal, public, requires
from .disputes import due_process
from .parsing import Blueprint
from .schemas.disputes import (
    AppealDecisionSchema,
    AppealReceiptSchema,
    AppealSchema,
    AppealStatusSchema,
    ReviewerAppealSchema,
)

blp = Blueprint("appeals", __name__, description="Listed people ask to be delisted.")

TOKEN_HEADER = "Appeal-Token"  # noqa: S105 - a header name


def file_appeal_from(body: dict, client_address: str) -> appeals.FiledAppeal:
    """Shared by the API and the web form: one path from a validated body to a stored appeal."""
    settings = due_process()
    filed = appeals.file_appeal(
        db.session,
        identifiers=[(item["type"], item["value"]) for item in body["identifiers"]],
        statement=body["statement"],
        contact=body["contact"],
        evidence=body["evidence"],
        client_address=client_address,
        language=body["language"],
        now=utcnow(),
        identifier_secrets=current_app.extensions["federation.identifiers"],
        contact_box=settings.contact_box,
        limits=settings.limits,
        deadlines=settings.deadlines,
        default_region=current_app.config["DEFAULT_REGION"],
    )
    db.session.commit()
    return filed


@blp.route("/v1/appeals", methods=["POST"])
@public
@blp.arguments(AppealSchema)
@blp.response(202, AppealReceiptSchema)
def file_appeal(body):
    """File an appeal. The answer is the same whether or not anything is listed: keep the token."""
    return file_appeal_from(body, request.remote_addr or "")


@blp.route("/v1/appeals/<ref>")
@public
@blp.response(200, AppealStatusSchema)
@blp.doc(parameters=[{"in": "header", "name": TOKEN_HEADER, "required": True, "schema": {"type": "string"}}])
def appeal_status(ref):
    """Progress, deadline and decision of an appeal, for the holder of its status token."""
    return appeals.appeal_for_token(db.session, ref, request.headers.get(TOKEN_HEADER, ""))


@blp.route("/v1/review/appeals")
@requires("review")
@blp.response(200)
def review_appeals():
    """Appeals waiting for a decision, oldest deadline first."""
    return {"appeals": ReviewerAppealSchema(many=True).dump(appeals.review_queue(db.session))}


@blp.route("/v1/appeals/<ref>/decision", methods=["POST"])
@requires("review")
@blp.arguments(AppealDecisionSchema)
@blp.response(200, ReviewerAppealSchema)
def decide_appeal(body, ref):
    """Decide an appeal and every case it opened: ``upheld`` delists, ``rejected`` keeps, or ``closed_no_match``."""
    appeal = appeals.decide_appeal(db.session, current_principal().member_id, ref, now=utcnow(), **body)
    db.session.commit()
    return appeal
