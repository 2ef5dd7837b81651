"""The HTTP API: flask-smorest blueprints, thin handlers, marshmallow schemas."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from . import health


def register_blueprints(api: Api) -> None:
    api.register_blueprint(health.blp)


def api_of(app: Flask) -> Api:
    """The app's flask-smorest ``Api`` (one per app; see ``extensions``)."""
    return app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
