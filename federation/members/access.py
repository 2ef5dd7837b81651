"""Who may do what, now: members' status, roles and quota, cached per worker.

Every authenticated request must see a suspension, a removed role or a revoked
key at once, which used to mean one extra query per request: on the lookup hot path, the
second statement of two. Here each worker keeps what it read, stamped with an
*epoch* of member changes read before the database was, and trusts it only
while the epoch is unchanged. Any change to a member bumps the epoch:

* in this process, synchronously at commit (``after_commit``), so the very
  next request here re-reads;
* in other processes, through a :class:`ChangeSignal`: on SQLite a byte
  appended to a file beside the database (one host by nature; the check is one
  ``stat``); on PostgreSQL a ``NOTIFY`` sent inside the changing transaction,
  so it is delivered exactly when the change is visible, and heard by a
  ``LISTEN`` thread per worker.

When the signal cannot be trusted (the listener is reconnecting) nothing is
cached; a time limit bounds the one window left (a process dying between its
SQLite commit and the file append).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import bindparam, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .models import Member, MemberKey

logger = logging.getLogger(__name__)

CHANNEL = "federation_member_access"
_NOTIFY = select(func.pg_notify(CHANNEL, bindparam("member_id")))
#: One statement: the member's row, once per active key (or once with a NULL kid).
_ACCESS = (
    select(Member.status, Member.roles, Member.daily_lookup_quota, Member.declared_daily_lookups, MemberKey.kid)
    .outerjoin(MemberKey, (MemberKey.member_id == Member.id) & MemberKey.revoked_at.is_(None))
    .where(Member.id == bindparam("member_id"))
)


@dataclass(frozen=True, slots=True)
class Access:
    status: str
    roles: frozenset[str]
    daily_lookup_quota: int | None
    #: Sizes the lookup budget when no quota is set (``lookups/budget.py``).
    declared_daily_lookups: int | None = None
    #: Kids of the member's unrevoked keys: a token obtained with any other key is refused.
    active_kids: frozenset[str] = frozenset()


def read_access(session: Session, member_id: str) -> Access | None:
    """A member's current status, roles, lookup quota and active key ids, from the database."""
    rows = session.connection().execute(_ACCESS, {"member_id": member_id}).all()
    if not rows:
        return None
    first = rows[0]
    kids = frozenset(row.kid for row in rows if row.kid is not None)
    return Access(
        first.status, frozenset(first.roles.split()), first.daily_lookup_quota, first.declared_daily_lookups, kids
    )


class FileSignal:
    """SQLite: member changes append a byte to ``path``; its size is the epoch."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.local = 0

    def epoch(self) -> tuple[int, int] | None:
        try:
            return (self.local, os.stat(self.path).st_size)
        except FileNotFoundError:
            return (self.local, -1)

    def changed(self) -> None:
        self.local += 1
        with open(self.path, "ab") as handle:  # O_APPEND: concurrent appends never overwrite
            handle.write(b".")

    def notify_in_transaction(self, connection: Any, member_id: str) -> None:
        """Nothing to send before commit: ``changed`` runs after it."""


class PostgresSignal:
    """PostgreSQL: ``NOTIFY`` in the changing transaction, ``LISTEN`` in a thread per worker."""

    def __init__(self, conninfo: str, *, retry_seconds: float = 1.0) -> None:
        self.conninfo = conninfo
        self.retry_seconds = retry_seconds
        self.counter = 0
        self.listening = False
        #: The member id of the last change heard of (tests wait for it).
        self.last_heard: str | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def epoch(self) -> int | None:
        self._ensure_listener()
        return self.counter if self.listening else None

    def changed(self) -> None:
        self.counter += 1

    def notify_in_transaction(self, connection: Any, member_id: str) -> None:
        connection.execute(_NOTIFY, {"member_id": member_id})

    def _ensure_listener(self) -> None:
        # Threads do not survive a fork: start one per (gunicorn worker) process.
        if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
                self._pid, self.listening = os.getpid(), False
                self._thread = threading.Thread(target=self._listen, name="member-access-listener", daemon=True)
                self._thread.start()

    def _listen(self) -> None:
        import psycopg

        while True:
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.counter += 1  # whatever changed while we were not listening
                    self.listening = True
                    for notification in connection.notifies():
                        self.counter += 1
                        self.last_heard = notification.payload
            except psycopg.OperationalError as error:  # the database restarts: one line, no traceback
                reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
                logger.warning("member access listener lost its connection (%s); retrying", reason)
            except Exception:  # noqa: BLE001 - keep listening; meanwhile nothing is cached
                logger.warning("member access listener failed; retrying", exc_info=True)
            self.listening = False
            time.sleep(self.retry_seconds)


def signal_for(engine: Engine) -> FileSignal | PostgresSignal | None:
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return PostgresSignal(url.set(drivername="postgresql").render_as_string(hide_password=False))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return FileSignal(f"{url.database}.member-access")
    return None


class AccessCache:
    """Member access per worker, valid while the signal's epoch is unchanged (and at most ``ttl``)."""

    def __init__(self, signal: FileSignal | PostgresSignal | None, *, ttl: float = 60.0) -> None:
        self.signal = signal
        self.ttl = ttl
        self._entries: dict[str, tuple[Access | None, Any, float]] = {}

    def get(self, session: Session, member_id: str, *, clock: Callable[[], float] = time.monotonic) -> Access | None:
        epoch = self.signal.epoch() if self.signal is not None else None
        cached = self._entries.get(member_id)
        now = clock()
        if cached is not None and epoch is not None and cached[1] == epoch and now - cached[2] < self.ttl:
            return cached[0]
        access = read_access(session, member_id)  # the epoch was read first: a change after it shows
        if epoch is not None:
            self._entries[member_id] = (access, epoch, now)
        return access


_SIGNALS: WeakKeyDictionary[Engine, FileSignal | PostgresSignal] = WeakKeyDictionary()


def watch_member_changes(engine: Engine, signal: FileSignal | PostgresSignal) -> None:
    """Bump ``signal`` whenever a transaction on ``engine`` that changed a member commits.

    ORM mapper events catch every change made through ``Member`` and ``MemberKey``
    objects, which is how ``members.service`` changes them; on PostgreSQL the NOTIFY rides the same
    transaction as the change. Listeners are global (several apps may share a
    process, as in the tests); the engine picks the signal.
    """
    _SIGNALS[engine] = signal


def _flag_change(_mapper: Any, connection: Any, target: Member | MemberKey) -> None:
    signal = _SIGNALS.get(connection.engine)
    if signal is None:
        return
    signal.notify_in_transaction(connection, target.id if isinstance(target, Member) else target.member_id)
    session = Session.object_session(target)
    if session is not None:
        session.info.setdefault("member_access_signals", set()).add(signal)


# A member's keys are part of its access: a token obtained with a revoked key stops at once.
for _model in (Member, MemberKey):
    for _name in ("after_insert", "after_update", "after_delete"):
        event.listen(_model, _name, _flag_change)


@event.listens_for(Session, "after_commit")
def _signal_committed_changes(session: Session) -> None:
    for signal in session.info.pop("member_access_signals", ()):
        signal.changed()


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_changes(session: Session, _previous_transaction: Any) -> None:
    if not session.in_transaction():
        session.info.pop("member_access_signals", None)
