"""Server-rendered public pages: file an appeal, check its status (zh-CN default, en)."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, Request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_wtf.csrf import CSRFProtect

from ..secret_files import read_or_create
from .pages import blp

csrf = CSRFProtect()
PAGES = ("/appeal",)


class PagesOnlySessions(SecureCookieSessionInterface):
    """Only the pages keep a session (it carries their CSRF token); API requests never open one.

    Opening the signed cookie session builds a key-derived serializer on every request: 30 us
    the lookup hot path has no use for.
    """

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if not request.path.startswith(PAGES):
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_web(app: Flask) -> None:
    """CSRF protection needs a session secret: configured, or generated once in the instance folder."""
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or read_or_create(
        Path(app.instance_path) / "session-secret", lambda: secrets.token_hex(32)
    )
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 3600)
    # The JSON API authenticates with bearer tokens, not cookies: CSRF does not apply there.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.session_interface = PagesOnlySessions()
    csrf.init_app(app)
    app.register_blueprint(blp)
