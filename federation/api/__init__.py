"""The HTTP API: flask-smorest blueprints, thin handlers, marshmallow schemas."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from . import (
    alerts,
    appeals,
    changes,
    disputes,
    entries,
    health,
    holds,
    lookups,
    members,
    oauth,
    protective,
    reputation,
    salts,
    warninglists,
)
from .auth import SECURITY_SCHEME

#: What each scope (a member's role, ``members.models.ROLES``) lets a token do; operations name the
#: scopes that suffice.
SCOPES = {
    "query": "Look identifiers up, dispute entries, read the change feed.",
    "submit": "List, retract and re-key your own entries; answer disputes of them; protective registrations.",
    "review": "Decide disputes, appeals and held listings; register and check protective registrations.",
    "admin": "Manage members, their keys, webhooks and warninglists; work alerts.",
}


def register_blueprints(api: Api) -> None:
    # OAuth 2.0 client credentials (RFC 7523 private_key_jwt assertion): docs/authentication.md.
    api.spec.components.security_scheme(
        SECURITY_SCHEME,
        {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "/v1/oauth/token", "scopes": SCOPES}}},
    )
    for module in (
        alerts,
        health,
        oauth,
        members,
        salts,
        entries,
        holds,
        lookups,
        disputes,
        appeals,
        changes,
        protective,
        reputation,
        warninglists,
    ):
        api.register_blueprint(module.blp)


def api_of(app: Flask) -> Api:
    """The app's flask-smorest ``Api`` (one per app; see ``extensions``)."""
    return app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
