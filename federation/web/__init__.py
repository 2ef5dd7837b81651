"""Server-rendered public pages: file an appeal, check its status (zh-CN default, en)."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from ..secret_files import read_or_create
from .pages import blp

csrf = CSRFProtect()


def init_web(app: Flask) -> None:
    """CSRF protection needs a session secret: configured, or generated once in the instance folder."""
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or read_or_create(
        Path(app.instance_path) / "session-secret", lambda: secrets.token_hex(32)
    )
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 3600)
    # The JSON API authenticates with bearer tokens, not cookies: CSRF does not apply there.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.register_blueprint(blp)
