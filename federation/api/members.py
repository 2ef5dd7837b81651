"""Members and their keys. Members manage their own keys; admins manage everyone."""

from __future__ import annotations

import json

from flask import current_app

from ..database import utcnow
from ..extensions import db
from ..lookups.budget import standing as budget_standing
from ..members import service as members
from ..reputation import standing
from .auth import current_principal, ensure_self_or_admin, requires
from .parsing import Blueprint
from .reputation import reputation_model
from .schemas.members import (
    KeySchema,
    LookupBudgetChangeSchema,
    MemberSchema,
    NewKeySchema,
    NewMemberSchema,
    OwnMemberSchema,
    StatusChangeSchema,
)

blp = Blueprint("members", __name__, url_prefix="/v1/members", description="Member platforms and their keys.")


@blp.route("", methods=["GET"])
@requires("admin")
@blp.response(200, MemberSchema(many=True))
def list_members():
    """Every member (admins)."""
    return members.list_members(db.session)


@blp.route("", methods=["POST"])
@requires("admin")
@blp.arguments(NewMemberSchema)
@blp.response(201, MemberSchema)
def add_member(body):
    """Admit a platform (admins). It starts ``pending`` unless a status is given, and on probation."""
    member = standing.admit_member(  # members.add_member, then probation (reputation)
        db.session,
        reputation_model(),
        member_id=body["id"],
        display_name=body["display_name"],
        roles=body["roles"],
        contact=body["contact"],
        trust_weight=body["trust_weight"],
        status=body["status"],
        declared_daily_lookups=body["declared_daily_lookups"],
        actor=current_principal().member_id,
        now=utcnow(),
    )
    return member


@blp.route("/me", methods=["GET"])
@requires()
@blp.response(200, OwnMemberSchema)
def show_me():
    """Your own record: your standing (effective trust, what it is computed from, probation) and your
    lookup budget, burst and today's use."""
    now = utcnow()
    member = standing.with_standing(members.get_member(db.session, current_principal().member_id), now)
    budget = current_app.extensions["federation.lookups"].budget
    member.lookup_budget = budget_standing(
        budget, member.id, member.declared_daily_lookups, member.daily_lookup_quota, now
    )
    return member


@blp.route("/<member_id>/lookup-budget", methods=["POST"])
@requires("admin")
@blp.arguments(LookupBudgetChangeSchema)
@blp.response(200, MemberSchema)
def change_lookup_budget(body, member_id):
    """Set a member's declared daily volume and/or override its daily lookup budget (admins; audited)."""
    changes = {k: body[k] for k in ("declared_daily_lookups", "daily_lookup_quota") if k in body}
    return members.set_lookup_budget(
        db.session, member_id, actor=current_principal().member_id, now=utcnow(), reason=body["reason"], **changes
    )


@blp.route("/<member_id>", methods=["GET"])
@requires()
@blp.response(200, MemberSchema)
def show_member(member_id):
    """A member's record: your own, or anyone's for admins."""
    ensure_self_or_admin(current_principal(), member_id)
    return standing.with_standing(members.get_member(db.session, member_id), utcnow())


@blp.route("/<member_id>/<any(suspend, activate):action>", methods=["POST"])
@requires("admin")
@blp.arguments(StatusChangeSchema)
@blp.response(200, MemberSchema)
def change_status(body, member_id, action):
    """Suspend (refused everywhere at once, live tokens included) or activate a member (admins)."""
    status = "suspended" if action == "suspend" else "active"
    member = members.set_status(
        db.session, member_id, status, actor=current_principal().member_id, now=utcnow(), reason=body["reason"]
    )
    return member


@blp.route("/<member_id>/keys", methods=["GET"])
@requires()
@blp.response(200, KeySchema(many=True))
def list_keys(member_id):
    """A member's keys, active and revoked."""
    ensure_self_or_admin(current_principal(), member_id)
    return members.list_keys(db.session, member_id)


@blp.route("/<member_id>/keys", methods=["POST"])
@requires()
@blp.arguments(NewKeySchema)
@blp.response(201, KeySchema)
def add_key(body, member_id):
    """Register another public key, e.g. to rotate without downtime."""
    ensure_self_or_admin(current_principal(), member_id)
    key_text = body["public_key"] if isinstance(body["public_key"], str) else json.dumps(body["public_key"])
    key = members.add_key(
        db.session, member_id, key_text, kid=body["kid"], actor=current_principal().member_id, now=utcnow()
    )
    return key


@blp.route("/<member_id>/keys/<kid>/revoke", methods=["POST"])
@requires()
@blp.response(200, KeySchema)
def revoke_key(member_id, kid):
    """Revoke a key at once. The last active key cannot be revoked through the API."""
    ensure_self_or_admin(current_principal(), member_id)
    key = members.revoke_key(db.session, member_id, kid, actor=current_principal().member_id, now=utcnow())
    return key
