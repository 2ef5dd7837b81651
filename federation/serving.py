"""Running the app under gunicorn from the ``federation serve`` command."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _FederationGunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Called in each worker after the fork: no database connection is shared.
        from . import create_app

        return create_app()


def gunicorn_options(*, bind: str, workers: int, threads: int) -> dict[str, Any]:
    return {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "accesslog": "-",
        # Query strings may carry tokens; the access log records method and path only, and the
        # client as a keyed tag, never its address (``access_log.py``).
        "logger_class": "federation.access_log.KeyedAccessLog",
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
    }


def run_gunicorn(*, bind: str, workers: int, threads: int) -> None:
    _FederationGunicorn(gunicorn_options(bind=bind, workers=workers, threads=threads)).run()
