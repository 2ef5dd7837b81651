"""How gunicorn runs the app: the settings and hooks of ``federation serve`` and ``docker/gunicorn.conf.py``.

Both read this module, so the command and a plain ``gunicorn -c docker/gunicorn.conf.py
federation.wsgi:app`` behave the same. The one non-default behaviour is what a worker
does when its master dies (SIGKILL, OOM killer, a crash):

gunicorn's own check notices within a second, but then shuts down *gracefully*: it
stops accepting yet keeps its listening socket open until its accepted connections
are done or ``graceful_timeout`` ran out. Measured under load (8 clients, 2 workers,
gunicorn 27): the orphaned workers lived 30.7 s, clients that connected meanwhile hung
30 s in the kernel's backlog, and a supervisor's restart could not bind the port
until they were gone. Here a watchdog thread in each worker checks ``os.getppid()``
every 0.2 s; on the master's death the worker closes its listening socket at once
(when every orphan has, queued connections are refused and a new server can bind),
finishes the requests it is serving for at most ``ORPHAN_GRACE_SECONDS``, and exits.
Measured the same way: workers gone in under a second, a new server up at once
(``tests/test_serving.py``).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from gunicorn.app.base import BaseApplication

__all__ = [
    "worker_class",
    "workers",
    "threads",
    "timeout",
    "graceful_timeout",
    "keepalive",
    "accesslog",
    "access_log_format",
    "logger_class",
    "control_socket_disable",
    "post_worker_init",
]

PARENT_CHECK_SECONDS = 0.2
#: Requests an orphaned worker is still serving get this long to finish before it exits anyway.
ORPHAN_GRACE_SECONDS = 5.0


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# -- settings (gunicorn reads these module-level names from a config file) ---------------------------
worker_class = "gthread"
#: gunicorn's rule of thumb, two per CPU plus one; ``FEDERATION_WORKERS`` or ``--workers`` overrides.
workers = int(os.environ.get("FEDERATION_WORKERS") or 2 * _cpus() + 1)
threads = int(os.environ.get("FEDERATION_THREADS") or 4)
#: A worker silent this long (stuck) is killed and replaced by the master.
timeout = 30
#: SIGTERM (a normal stop or deploy): requests in flight get this long.
graceful_timeout = 10
keepalive = 5
accesslog = "-"
# Query strings may carry tokens; the access log records method and path only, and the client as
# a keyed tag, never its address (``access_log.py``).
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
logger_class = "federation.access_log.KeyedAccessLog"
#: gunicorn 23+ opens a control socket under ``~/.gunicorn`` shared by every server of the user; unused.
control_socket_disable = True


def post_worker_init(worker: Any) -> None:
    """Start the worker's watch on its master (see the module docstring)."""
    threading.Thread(target=_watch_master, args=(worker,), name="master-watchdog", daemon=True).start()


def _watch_master(worker: Any) -> None:
    master = worker.ppid
    while os.getppid() == master:
        time.sleep(PARENT_CHECK_SECONDS)
    worker.log.warning("master %s is gone; worker %s stops listening and exits", master, worker.pid)
    # The listeners belong to the worker's event loop: close them from its own thread.
    worker.method_queue.defer(_stop_listening, worker)
    deadline = time.monotonic() + ORPHAN_GRACE_SECONDS
    while time.monotonic() < deadline and worker.nr_conns > 0:
        time.sleep(0.05)
    time.sleep(0.1)  # the loop's own exit, if it is done
    os._exit(0)  # the backstop: a request stuck past the grace must not keep the port


def _stop_listening(worker: Any) -> None:
    worker.alive = False
    worker.set_accept_enabled(False)
    for listener in worker.sockets:
        listener.close()


def settings() -> dict[str, Any]:
    """This module's gunicorn settings, by name."""
    namespace = globals()
    return {name: namespace[name] for name in __all__}


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


def gunicorn_options(*, bind: str, workers: int | None = None, threads: int | None = None) -> dict[str, Any]:
    """This module's settings, bound to ``bind``; ``workers`` and ``threads`` override the defaults."""
    options = {**settings(), "bind": bind}
    options.update({k: v for k, v in {"workers": workers, "threads": threads}.items() if v is not None})
    return options


def run_gunicorn(*, bind: str, workers: int | None = None, threads: int | None = None) -> None:
    _FederationGunicorn(gunicorn_options(bind=bind, workers=workers, threads=threads)).run()
