"""Reviewers: entries held for review, their case, and the decision that lists or refuses them."""

from __future__ import annotations

from flask import current_app

from ..database import utcnow
from ..entries import holds
from ..extensions import db
from .auth import current_principal, requires
from .parsing import Blueprint
from .schemas.holds import HoldCaseSchema, HoldDecisionSchema, HoldQueueSchema

blp = Blueprint("holds", __name__, description="Held entries: listings that wait for a reviewer.")


def _guard_days() -> int:
    return current_app.extensions["federation.entries.policy"].reinsertion_guard_days


@blp.route("/v1/review/holds")
@requires("review")
@blp.response(200, HoldQueueSchema)
def review_holds():
    """Held entries waiting for a decision, oldest first, each with its case."""
    return {"holds": holds.review_queue(db.session, current_principal().member_id, guard_days=_guard_days())}


@blp.route("/v1/review/holds/<ref>")
@requires("review")
@blp.response(200, HoldCaseSchema)
def show_hold(ref):
    """The hold on entry ``ref``: the overturned cases, the upheld appeal, what is new, the certification."""
    return holds.hold_case(db.session, ref, current_principal().member_id, guard_days=_guard_days())


@blp.route("/v1/review/holds/<ref>/decision", methods=["POST"])
@requires("review")
@blp.arguments(HoldDecisionSchema)
@blp.response(200, HoldCaseSchema)
def decide_hold(body, ref):
    """``approve`` lists the entry now (only with new evidence and a certification); ``reject`` ends it."""
    case = holds.decide_hold(
        db.session, current_principal().member_id, ref, now=utcnow(), guard_days=_guard_days(), **body
    )
    return case
