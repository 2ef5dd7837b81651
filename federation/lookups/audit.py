"""Group commit for the lookup audit trail.

Every lookup must be audited before its answer leaves the server, but one
commit per lookup makes concurrent lookups queue for the database's write
lock (SQLite has one per database; PostgreSQL flushes its WAL per commit).
Here each worker process has one writer thread: request threads hand it
their audit row and wait; the writer inserts whatever has gathered in one
transaction and wakes them all. Under load, many lookups share one commit;
alone, a lookup waits for its own. If the insert fails, every waiting
request fails with it: no answer is sent for a lookup that was not audited.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

try:
    import fcntl
except ImportError:  # not on Windows: SQLite's busy handler alone serialises the writers there
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from ..errors import ServiceUnavailable
from .models import LookupRecord

logger = logging.getLogger(__name__)
_INSERT = insert(LookupRecord)


class _Waiter:
    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None


class AuditWriter:
    def __init__(self, engine: Engine, *, max_batch: int = 500, timeout: float = 30.0) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.timeout = timeout
        self._condition = threading.Condition()
        self._pending: list[tuple[dict[str, Any], _Waiter]] = []
        self._thread: threading.Thread | None = None
        self._pid = 0
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self._lock_path = f"{database}.audit-lock" if database and database != ":memory:" and fcntl else None

    def write(self, row: dict[str, Any]) -> None:
        """Return once ``row`` is committed; raise :class:`ServiceUnavailable` if it could not be."""
        waiter = _Waiter()
        with self._condition:
            self._ensure_thread()
            self._pending.append((row, waiter))
            self._condition.notify()
        if not waiter.done.wait(self.timeout):
            raise ServiceUnavailable("The lookup could not be audited in time.", code="audit_unavailable")
        if waiter.error is not None:
            raise ServiceUnavailable("The lookup could not be audited.", code="audit_unavailable")

    @contextmanager
    def _writers_lock(self) -> Iterator[None]:
        """On SQLite, queue the worker processes' writers on an ``flock`` beside the database.

        SQLite's own busy handler retries a locked database after sleeping 1, 2, 5, 10 ms...;
        a blocked ``flock`` wakes the moment the other writer is done.
        """
        if self._lock_path is None:
            yield
            return
        with open(self._lock_path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _ensure_thread(self) -> None:
        # Started lazily, and again after a fork: threads do not survive into a child process.
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="lookup-audit-writer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._pending:
                    self._condition.wait()
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            error: BaseException | None = None
            try:
                with self._writers_lock(), self.engine.begin() as connection:
                    connection.execute(_INSERT, [row for row, _ in batch])
            except Exception as exc:  # noqa: BLE001 - handed to every waiting request
                logger.exception("writing %d lookup audit rows failed", len(batch))
                error = exc
            for _, waiter in batch:
                waiter.error = error
                waiter.done.set()
