"""One transaction per request: the request boundary commits, handlers and services never do.

Services flush (so a constraint violation surfaces where it happens) and record their events in
the session; whether any of it becomes durable is decided here, once, after the view returned:

* an answer below 400 commits, *after* it was built: it was serialised from objects loaded inside
  the transaction, so nothing is lazily reloaded after the commit. (Handlers used to commit and
  then serialise; the expired entry reloading itself turned a committed submission into a 500
  when the database went away in between.)
* an exception, or an answer of 400 and above (the public pages render their refusals
  themselves), rolls back: a request that fails writes nothing, whatever it flushed.
* work that must follow a durable write (handing a message to the postman) is registered with
  :func:`after_commit` and runs once the commit succeeded. Its failure is logged and never turns
  an acknowledged write into a 5xx; a request that rolls back drops it.

A commit that fails itself raises inside the dispatch, so the error handlers answer it like any
other failure: nothing was written and the client may retry. An ``after_request`` hook could not
do that (its exceptions bypass the error handlers and become bare 500s).

The lookup hot path never opens the ORM session (it reads on its own Core connection), so the
boundary costs it nothing: a session is touched only if the request created one.
The CLI has its own boundary, ``federation.cli.common.run``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, g

from ..extensions import db

logger = logging.getLogger(__name__)

_AFTER_COMMIT = "federation_after_commit"


class TransactionalFlask(Flask):
    """Flask whose :meth:`dispatch_request` is the one place a request's writes commit or roll back."""

    def dispatch_request(self) -> Response:  # type: ignore[override]
        try:
            response = self.make_response(super().dispatch_request())
            if response.status_code < 400:
                _commit()
            else:
                _discard()
        except BaseException:
            _discard()
            raise
        _run_after_commit()
        return response


def after_commit(action: Callable[[], object]) -> None:
    """Run ``action`` once this request's writes are durable; never if the request fails."""
    g.setdefault(_AFTER_COMMIT, []).append(action)


def _commit() -> None:
    if db.session.registry.has():
        session = db.session()
        if session.in_transaction():
            session.commit()


def _discard() -> None:
    """Roll back. Should that fail too (the database went away), the answer stays the one the
    request earned: nothing was committed either way, and the session is closed at teardown."""
    g.pop(_AFTER_COMMIT, None)
    if not db.session.registry.has():
        return
    try:
        db.session().rollback()
    except Exception as error:  # noqa: BLE001
        logger.warning("rollback after a failed request failed: %s", type(error).__name__)


def _run_after_commit() -> None:
    for action in g.pop(_AFTER_COMMIT, ()):
        try:
            action()
        except Exception as error:  # noqa: BLE001 - the write is durable: the answer must say so
            function = getattr(action, "func", action)  # a functools.partial: name what it calls
            name = getattr(function, "__qualname__", type(function).__name__)  # never repr: it may hold a contact
            logger.error("after-commit action %s failed: %s", name, type(error).__name__)
