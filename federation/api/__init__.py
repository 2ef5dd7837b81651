"""The HTTP API: flask-smorest blueprints, thin handlers, marshmallow schemas."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from . import appeals, changes, disputes, entries, health, holds, lookups, members, oauth, salts


def register_blueprints(api: Api) -> None:
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    for module in (health, oauth, members, salts, entries, holds, lookups, disputes, appeals, changes):
        api.register_blueprint(module.blp)


def api_of(app: Flask) -> Api:
    """The app's flask-smorest ``Api`` (one per app; see ``extensions``)."""
    return app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
