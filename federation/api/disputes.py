"""Member disputes: file one against another member's entry, answer one, decide one."""

from __future__ import annotations

from flask import Flask, current_app

from ..database import utcnow
from ..disputes import case_files
from ..disputes import service as disputes
from ..disputes.fairness import conflicted
from ..disputes.settings import DueProcess
from ..errors import Forbidden
from ..extensions import db
from .auth import current_principal, requires
from .parsing import Blueprint
from .schemas.cases import ReviewerDisputeCaseSchema
from .schemas.disputes import (
    DisputeAnswerSchema,
    DisputeDecisionSchema,
    DisputeFileSchema,
    DisputeQuerySchema,
    DisputeSchema,
    ReviewerDisputeSchema,
)

blp = Blueprint("disputes", __name__, description="Member disputes and their decisions.")


def init_disputes(app: Flask) -> None:
    app.extensions["federation.due_process"] = DueProcess.from_config(app.config, app.instance_path)


def due_process() -> DueProcess:
    return current_app.extensions["federation.due_process"]


def _shown(dispute, principal):
    """Reviewers see both parties; the parties see neither, even a party whose member also reviews."""
    impartial = "review" in principal.scopes and not conflicted(dispute, principal.member_id)
    return (ReviewerDisputeSchema if impartial else DisputeSchema)().dump(dispute)


@blp.route("/v1/entries/<ref>/disputes", methods=["POST"])
@requires("query")
@blp.arguments(DisputeFileSchema)
@blp.response(201, DisputeSchema)
def file_dispute(body, ref):
    """Dispute another member's entry; its submitter must answer within the response deadline."""
    dispute = disputes.file_dispute(
        db.session,
        current_principal().member_id,
        ref,
        reason=body["reason"],
        evidence=body["evidence"],
        now=utcnow(),
        deadlines=due_process().deadlines,
    )
    return dispute


@blp.route("/v1/disputes")
@requires("query", "submit", "review")
@blp.arguments(DisputeQuerySchema, location="query")
@blp.response(200)
def list_disputes(query):
    """``role=submitter``: disputes of your entries; ``filer``: yours; ``reviewer``: the review queue."""
    principal = current_principal()
    if query["role"] == "reviewer":
        if "review" not in principal.scopes:
            raise Forbidden("The review queue needs the review scope.", code="insufficient_scope")
        found = case_files.dispute_queue(db.session, principal.member_id)
    else:
        found = disputes.list_disputes(db.session, principal.member_id, query["role"], open_only=query["open"])
    return {"disputes": [_shown(d, principal) for d in found]}


@blp.route("/v1/disputes/<ref>")
@requires("query", "submit", "review")
@blp.response(200)
def show_dispute(ref):
    """One dispute, to its filer or the entry's submitter; to a reviewer, with the whole ``case``."""
    principal = current_principal()
    shown = case_files.dispute_view(
        db.session,
        ref,
        principal.member_id,
        reviewer="review" in principal.scopes,
        now=utcnow(),
        folder=due_process().upload_dir,
    )
    return (ReviewerDisputeCaseSchema if isinstance(shown, case_files.DisputeCase) else DisputeSchema)().dump(shown)


@blp.route("/v1/disputes/<ref>/answer", methods=["POST"])
@requires("submit")
@blp.arguments(DisputeAnswerSchema)
@blp.response(200, DisputeSchema)
def answer_dispute(body, ref):
    """The submitter keeps the listing (``uphold``, with evidence) or withdraws it (``retract``)."""
    dispute = disputes.answer(db.session, current_principal().member_id, ref, now=utcnow(), **body)
    return dispute


@blp.route("/v1/disputes/<ref>/decision", methods=["POST"])
@requires("review")
@blp.arguments(DisputeDecisionSchema)
@blp.response(200, ReviewerDisputeSchema)
def decide_dispute(body, ref):
    """``upheld`` delists the entry at once; ``rejected`` keeps it (and lifts a deadline suspension).

    Not by a reviewer whose member is a party (403 ``conflict_of_interest``); not before the submitter
    answered or its deadline passed unless ``expedite_reason`` says why (409 ``answer_pending``).
    """
    dispute = disputes.decide(db.session, current_principal().member_id, ref, now=utcnow(), **body)
    return dispute
