"""Reputation and probation: admins set or override a member's trust and its probation; reviewers
confirm other members' listings. Rules in ``federation/reputation/``; docs/scoring.md."""

from __future__ import annotations

from flask import current_app

from ..database import utcnow
from ..extensions import db
from ..members.service import get_member
from ..reputation import confirmation, standing
from ..reputation.formula import ReputationModel
from .auth import current_principal, requires
from .parsing import Blueprint
from .schemas.members import MemberSchema
from .schemas.reputation import ConfirmationSchema, ConfirmedEntrySchema, ProbationChangeSchema, TrustChangeSchema

blp = Blueprint("reputation", __name__, description="Members' effective trust, probation, and confirmations.")


def reputation_model() -> ReputationModel:
    return ReputationModel.from_config(current_app.config)


@blp.route("/v1/members/<member_id>/trust", methods=["POST"])
@requires("admin")
@blp.arguments(TrustChangeSchema)
@blp.response(200, MemberSchema)
def change_trust(body, member_id):
    """Set the formula's base trust, or an override that wins over it (``override: null`` removes it); audited."""
    member = standing.set_trust(
        db.session,
        get_member(db.session, member_id),
        reputation_model(),
        actor=current_principal().member_id,
        now=utcnow(),
        **body,
    )
    return standing.with_standing(member, utcnow())


@blp.route("/v1/members/<member_id>/probation", methods=["POST"])
@requires("admin")
@blp.arguments(ProbationChangeSchema)
@blp.response(200, MemberSchema)
def change_probation(body, member_id):
    """End (``until: null``) or move the end of a member's probation; audited."""
    now = utcnow()
    member = standing.set_probation(
        db.session,
        get_member(db.session, member_id),
        body["until"],
        reason=body["reason"],
        actor=current_principal().member_id,
        now=now,
    )
    return standing.with_standing(member, now)


@blp.route("/v1/entries/<ref>/confirm", methods=["POST"])
@requires("review")
@blp.arguments(ConfirmationSchema)
@blp.response(200, ConfirmedEntrySchema)
def confirm_entry(body, ref):
    """Confirm another member's listing (a probation member's then counts in full); audited."""
    return confirmation.confirm(db.session, current_principal().member_id, ref, reason=body["reason"], now=utcnow())
