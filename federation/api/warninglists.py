"""Warninglists (admins): import MISP lists of values never to be listed, see, disable, remove them."""

from __future__ import annotations

from flask import current_app

from ..database import utcnow
from ..extensions import db
from ..warninglists import EXTENSION
from ..warninglists import service as warninglists
from .auth import current_principal, requires
from .parsing import Blueprint
from .schemas.warninglists import (
    ImportResultSchema,
    MispWarninglistSchema,
    WarninglistSchema,
    WarninglistsSchema,
)

blp = Blueprint(
    "warninglists",
    __name__,
    url_prefix="/v1/warninglists",
    description="Warninglists: test numbers, hotlines, shared networks that must never be listed.",
)


def _context() -> dict:
    return {
        "identifier_secrets": current_app.extensions["federation.identifiers"],
        "settings": current_app.extensions[EXTENSION],
        "actor": current_principal().member_id,
        "now": utcnow(),
    }


@blp.route("", methods=["GET"])
@requires("admin")
@blp.response(200, WarninglistsSchema)
def list_warninglists():
    """Every imported list, by name (admins)."""
    return {"warninglists": warninglists.list_all(db.session)}


@blp.route("", methods=["POST"])
@requires("admin")
@blp.arguments(MispWarninglistSchema)
@blp.response(201, ImportResultSchema)
@blp.alt_response(200, schema=ImportResultSchema, description="Replaced the list of the same name.")
def import_warninglist(document):
    """Import a MISP warninglist (admins): hashed under every accepted salt, applied at once."""
    result = warninglists.import_list(db.session, document, **_context())
    return result, 201 if result.created else 200


@blp.route("/<row_id:list_id>", methods=["GET"])
@requires("admin")
@blp.response(200, WarninglistSchema)
def show_warninglist(list_id):
    """One list: what it does and how much of it could be hashed; never its values."""
    return warninglists.get(db.session, list_id)


@blp.route("/<row_id:list_id>", methods=["DELETE"])
@requires("admin")
@blp.response(204)
def remove_warninglist(list_id):
    """Remove a list, its hashes and its marks."""
    context = _context()
    warninglists.remove(
        db.session,
        warninglists.get(db.session, list_id),
        settings=context["settings"],
        actor=context["actor"],
        now=context["now"],
    )


@blp.route("/<row_id:list_id>/<any(enable, disable):action>", methods=["POST"])
@requires("admin")
@blp.response(200, WarninglistSchema)
def switch_warninglist(list_id, action):
    """A disabled list refuses nothing and weighs nothing; enabling it marks what was listed meanwhile."""
    warninglist = warninglists.get(db.session, list_id)
    return warninglists.set_enabled(
        db.session, warninglist, action == "enable", actor=current_principal().member_id, now=utcnow()
    )
