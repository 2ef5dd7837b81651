"""A database outage is answered 503 + ``Retry-After`` (problem+json), and service resumes by itself.

Against a throw-away PostgreSQL cluster (``pg_cluster``) that is stopped and
started while the app serves: during the outage every kind of request
(public, authenticated read, the raw-cursor lookup path, a write) gets a 503
problem; after the restart the same requests succeed without any restart of
the app, and no traceback reached the log.
"""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import exc as sa_exc

from federation.database import UNAVAILABLE_RETRY_AFTER
from federation.extensions import db as _db
from federation.lookups.matching import fetch_matches
from tests.conftest import Auth, build_app, create_member
from tests.entries.factories import entry_payload, hashed


@pytest.fixture(scope="module")
def outage_app(pg_cluster, tmp_path_factory):
    application = build_app(pg_cluster.url, str(tmp_path_factory.mktemp("instance")))
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        application.extensions["federation.lookups.audit"].flush()  # nothing left for its ingester thread
        _db.engine.dispose()


@pytest.fixture(scope="module")
def calls(outage_app):
    """One request of each kind the outage must not turn into a 500: name -> () -> response."""
    client = outage_app.test_client()
    with outage_app.app_context():
        auth = Auth(client)
        headers = auth.headers(create_member(_db.session, "shop-a", roles=("submit", "query")))
        _db.session.remove()
    serial = iter(range(1_000_000))
    return {
        "health": lambda: client.get("/healthz"),
        "member": lambda: client.get("/v1/members/shop-a", headers=headers),
        "lookup": lambda: client.post(
            "/v1/lookups",
            json={
                "purpose": "complaint_intake",
                "reference": "CMP-1",
                "identifiers": hashed(outage_app, "phone", "13800138000"),
            },
            headers=headers,
        ),
        "list": lambda: client.get("/v1/entries", headers=headers),
        "submit": lambda: client.post(
            "/v1/entries", json=entry_payload(outage_app, f"case-{next(serial)}"), headers=headers
        ),
    }


OK = {"health": 200, "member": 200, "lookup": 200, "list": 200, "submit": 201}


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == str(UNAVAILABLE_RETRY_AFTER)
    assert response.get_json()["status"] == 503


def assert_no_traceback(caplog) -> None:
    tracebacks = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not tracebacks, [r.getMessage() for r in tracebacks]


def test_requests_get_503_while_the_database_is_down_and_succeed_after_it_restarts(pg_cluster, calls, caplog):
    caplog.set_level(logging.WARNING)
    assert {name: call().status_code for name, call in calls.items()} == OK  # the pool holds live connections

    pg_cluster.stop()
    try:
        for call in calls.values():
            assert_unavailable(call())
    finally:
        pg_cluster.start()

    # First request after the restart: the pooled connections are dead, pre-ping replaces them.
    assert {name: call().status_code for name, call in calls.items()} == OK
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    assert_no_traceback(caplog)


def test_a_restart_between_requests_costs_no_request(pg_cluster, calls, caplog):
    caplog.set_level(logging.WARNING)
    assert {name: call().status_code for name, call in calls.items()} == OK
    pg_cluster.stop()
    pg_cluster.start()
    assert {name: call().status_code for name, call in calls.items()} == OK
    assert_no_traceback(caplog)


def test_the_raw_cursor_lookup_maps_a_cut_connection_and_invalidates_it(pg_cluster, outage_app):
    """The hot path bypasses SQLAlchemy's execute: a killed session must still become its error."""
    with outage_app.app_context():
        engine = _db.engine
        with engine.connect() as victim, engine.connect() as killer:
            pid = victim.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            killer.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pytest.raises(sa_exc.OperationalError) as caught:
                fetch_matches(victim, [b"\0" * 32], now=sa.func.now())
            assert caught.value.connection_invalidated and victim.invalidated
        with engine.connect() as fresh:  # the pool hands out a working connection again
            assert fresh.exec_driver_sql("SELECT 1").scalar() == 1


def test_the_appeal_pages_say_so_in_words_while_the_database_is_down(pg_cluster, outage_app, caplog):
    """A person sees a page in their language (503, Retry-After), never the API's problem details."""
    import re

    caplog.set_level(logging.WARNING)
    client = outage_app.test_client()
    page = client.get("/appeal/status?lang=en").get_data(as_text=True)
    form = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1), "appeal": "A1", "token": "x"}
    pg_cluster.stop()
    try:
        response = client.post("/appeal/status?lang=en", data=form)
    finally:
        pg_cluster.start()
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert response.headers["Retry-After"] == str(UNAVAILABLE_RETRY_AFTER)
    assert "Temporarily unavailable" in response.get_data(as_text=True)
    assert_no_traceback(caplog)
