"""The per-worker member access cache: read once, re-read after any change, from any process."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from flask import current_app
from sqlalchemy import event

from federation.extensions import db as _db
from federation.members import service
from federation.members.access import AccessCache, PostgresSignal
from tests.conftest import build_app

NOW = datetime(2026, 11, 24, tzinfo=UTC)


@pytest.fixture
def member_reads(db) -> Iterator[list[str]]:
    """Every access read (status, roles, quota) sent to the database."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if statement.startswith("SELECT members.status, members.roles"):  # the access read
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


@pytest.fixture
def cache(app) -> AccessCache:
    cache = AccessCache(app.extensions["federation.auth"].access.signal)
    if isinstance(cache.signal, PostgresSignal):
        eventually(lambda: cache.signal.epoch() is not None)  # the LISTEN thread is connected
    return cache


def eventually(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait for something another thread or process does (a NOTIFY travels asynchronously)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def add(member_id: str, roles=("query",)) -> None:
    service.add_member(
        _db.session, member_id=member_id, display_name=member_id, roles=roles, actor="t", now=NOW, status="active"
    )
    _db.session.commit()
    signal = current_app.extensions["federation.auth"].access.signal
    if isinstance(signal, PostgresSignal):
        eventually(lambda: signal.last_heard == member_id)  # the NOTIFY arrives asynchronously


def test_access_is_read_once_then_served_from_the_cache(db, cache, member_reads):
    add("acme")
    first = cache.get(db.session, "acme")
    assert (first.status, first.roles) == ("active", frozenset({"query"}))
    assert cache.get(db.session, "acme") == first
    assert cache.get(db.session, "acme") == first
    assert len(member_reads) == 1


def test_a_change_committed_here_is_seen_by_the_next_read(db, cache, app):
    add("acme")
    assert cache.get(db.session, "acme").status == "active"
    service.set_status(db.session, "acme", "suspended", actor="admin", now=NOW)
    db.session.commit()
    eventually(lambda: cache.get(db.session, "acme").status == "suspended")


def test_a_change_rolled_back_changes_nothing(db, cache):
    add("acme")
    assert cache.get(db.session, "acme").status == "active"
    service.set_status(db.session, "acme", "suspended", actor="admin", now=NOW)
    db.session.rollback()
    assert cache.get(db.session, "acme").status == "active"


def test_a_change_made_by_another_process_is_seen(db, cache, app, tmp_path):
    """Another app on the same database (as another gunicorn worker or the CLI would be)."""
    add("acme")
    assert cache.get(db.session, "acme").status == "active"
    other = build_app(app.config["SQLALCHEMY_DATABASE_URI"], str(tmp_path))
    with other.app_context():
        service.set_status(_db.session, "acme", "suspended", actor="admin", now=NOW)
        _db.session.commit()
        _db.engine.dispose()
    eventually(lambda: cache.get(db.session, "acme").status == "suspended")


def test_unknown_members_are_cached_as_unknown_until_one_is_added(db, cache):
    assert cache.get(db.session, "newcomer") is None
    add("newcomer")
    eventually(lambda: cache.get(db.session, "newcomer") is not None)


def test_nothing_is_cached_past_its_time_limit(db, app, member_reads):
    add("acme")
    cache = AccessCache(app.extensions["federation.auth"].access.signal, ttl=60)
    if isinstance(cache.signal, PostgresSignal):
        eventually(lambda: cache.signal.epoch() is not None)
    cache.get(db.session, "acme", clock=lambda: 1000.0)
    cache.get(db.session, "acme", clock=lambda: 1059.0)
    assert len(member_reads) == 1
    cache.get(db.session, "acme", clock=lambda: 1060.0)
    assert len(member_reads) == 2


@pytest.mark.postgresql
def test_while_the_listener_is_disconnected_nothing_is_cached(db, app, member_reads):
    signal = app.extensions["federation.auth"].access.signal
    add("acme")
    cache = AccessCache(signal)
    eventually(lambda: signal.epoch() is not None)
    with db.engine.connect() as conn:  # cut the listener off, as a database restart would
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN federation_member_access'"
        )
    eventually(lambda: signal.epoch() is None)
    cache.get(db.session, "acme")
    cache.get(db.session, "acme")
    assert len(member_reads) == 2
    eventually(lambda: signal.epoch() is not None)  # it reconnects by itself
