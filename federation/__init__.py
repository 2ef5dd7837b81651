"""Blacklist Federation: a shared, due-process blacklist of malicious complainers."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # importing the package must not import Flask: the pure cores live in it
    from flask import Flask

    from .config import Config


def create_app(
    config: type[Config] | None = None,
    overrides: dict[str, Any] | None = None,
    *,
    instance_path: str | None = None,
) -> Flask:
    """Build the WSGI app: settings, then extensions, then error handling, then blueprints.

    Each request is one transaction, committed or rolled back by the app itself
    (``api/transactions.py``), never by a handler.
    """
    from .api.transactions import TransactionalFlask
    from .config import load_config

    instance_path = instance_path or os.environ.get("FEDERATION_INSTANCE_PATH") or _default_instance_path()
    app = TransactionalFlask(__name__, instance_path=os.path.abspath(instance_path))
    load_config(app, config, overrides)
    app.json.sort_keys = False  # problem details read best in RFC 9457's order

    from .access_log import init_access_log
    from .api import register_blueprints
    from .api.auth import init_auth
    from .api.disputes import init_disputes
    from .api.entries import init_entries
    from .api.lookups import init_lookups
    from .api.problem_api import ProblemApi
    from .api.problems import register_error_handlers
    from .api.ratelimits import init_rate_limits
    from .cli import register_commands
    from .database import init_engine
    from .extensions import db, migrate
    from .identifiers.secrets import init_identifier_secrets
    from .lookups.sweep_service import init_sweep_detector
    from .notify import init_notify
    from .protective import init_protective
    from .warninglists import init_warninglists
    from .web import init_web
    from .webhooks.service import init_webhooks

    db.init_app(app)
    with app.app_context():
        init_engine(db.engine)
    migrate.init_app(app, db)
    init_auth(app)
    init_identifier_secrets(app)
    init_access_log(app)
    init_entries(app)
    init_lookups(app)
    init_warninglists(app)
    init_sweep_detector(app)
    init_disputes(app)
    init_protective(app)
    init_notify(app)
    init_webhooks(app)
    register_error_handlers(app)
    init_rate_limits(app)
    register_blueprints(ProblemApi(app))
    init_web(app)
    register_commands(app)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app


def _default_instance_path() -> str:
    """``instance/`` beside the checkout, where ``make run`` keeps its database and keys."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "instance")
