"""Protective registrations: members flag their identity-theft victims; reviewers register from appeals and check."""

from __future__ import annotations

from flask import current_app

from ..database import utcnow
from ..extensions import db
from ..protective import service as protective
from .auth import current_principal, requires
from .parsing import Blueprint
from .schemas.protective import (
    AppealRegistrationSchema,
    RegistrationListSchema,
    RegistrationRequestSchema,
    RegistrationSchema,
    ReviewerRegistrationListSchema,
    ReviewerRegistrationSchema,
    WithdrawalSchema,
)

blp = Blueprint(
    "protective", __name__, description="Protective registration: identity-theft victims draw at most review."
)


def _terms() -> protective.Terms:
    return current_app.extensions["federation.protective.terms"]


@blp.route("/v1/protective-registrations", methods=["POST"])
@requires("submit")
@blp.arguments(RegistrationRequestSchema)
@blp.response(201, RegistrationSchema)
@blp.alt_response(200, schema=RegistrationSchema, description="A re-sent case_ref: the first registration.")
def register(body):
    """Flag your customer's identifiers as an identity-theft victim's: effective at once, checked by reviewers."""
    outcome = protective.register_for_member(
        db.session,
        current_principal().member_id,
        identifier_secrets=current_app.extensions["federation.identifiers"],
        terms=_terms(),
        now=utcnow(),
        **body,
    )
    return outcome.registration, 201 if outcome.created else 200


@blp.route("/v1/protective-registrations", methods=["GET"])
@requires("submit")
@blp.response(200, RegistrationListSchema)
def list_own():
    """Your own registrations, newest first."""
    return {"registrations": protective.own_registrations(db.session, current_principal().member_id)}


@blp.route("/v1/protective-registrations/<ref>/withdraw", methods=["POST"])
@requires("submit")
@blp.arguments(WithdrawalSchema)
@blp.response(200, RegistrationSchema)
def withdraw_own(body, ref):
    """Withdraw your registration: the identifiers' listings count in full again at once."""
    return protective.withdraw_own(db.session, current_principal().member_id, ref, reason=body["reason"], now=utcnow())


@blp.route("/v1/appeals/<ref>/protective-registration", methods=["POST"])
@requires("review")
@blp.arguments(AppealRegistrationSchema)
@blp.response(201, ReviewerRegistrationSchema)
@blp.alt_response(200, schema=ReviewerRegistrationSchema, description="The appeal's registration in force.")
def register_from_appeal(body, ref):
    """Register the appellant's identifiers (an identity-theft victim's), confirmed, from the appeal's case."""
    outcome = protective.register_from_appeal(
        db.session, current_principal().member_id, ref, reason=body["reason"], terms=_terms(), now=utcnow()
    )
    return outcome.registration, 201 if outcome.created else 200


@blp.route("/v1/review/protective-registrations")
@requires("review")
@blp.response(200, ReviewerRegistrationListSchema)
def review_queue():
    """Registrations in force, members' unconfirmed ones first: who registered, why, on what evidence."""
    return {"registrations": protective.review_queue(db.session, utcnow())}


@blp.route("/v1/review/protective-registrations/<ref>/confirm", methods=["POST"])
@requires("review")
@blp.response(200, ReviewerRegistrationSchema)
def confirm(ref):
    """Confirm (or renew) a registration: it holds PROTECTIVE_CONFIRMED_DAYS from now."""
    return protective.confirm(db.session, current_principal().member_id, ref, terms=_terms(), now=utcnow())


@blp.route("/v1/review/protective-registrations/<ref>/withdraw", methods=["POST"])
@requires("review")
@blp.arguments(WithdrawalSchema)
@blp.response(200, ReviewerRegistrationSchema)
def revoke(body, ref):
    """Withdraw any registration (a member's found unfounded, say); recorded with the reviewer and reason."""
    registration = protective.get_registration(db.session, ref)
    return protective.withdraw(
        db.session, registration, actor=current_principal().member_id, reason=body["reason"], now=utcnow()
    )
