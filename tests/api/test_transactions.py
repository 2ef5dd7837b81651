"""One transaction per request (``federation/api/transactions.py``).

A request that fails writes nothing, whatever it flushed; a write that committed is never
answered 5xx, even if the database goes away right after the commit or a follow-up fails.
Real endpoints where a fault can be injected into one; a probe app on the same database for
the boundary's branches that no endpoint isolates.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from flask import Blueprint
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from federation.api.transactions import after_commit
from federation.entries import service as entries_service
from federation.entries.models import Entry
from federation.errors import Conflict
from federation.events.models import Event
from federation.events.service import record
from federation.extensions import db as _db
from federation.members import service as members_service
from tests.api.test_appeal_status_codes import ask_for_code
from tests.api.test_appeals import CONTACT, UNLISTED, appeal_body, file, status
from tests.conftest import build_app
from tests.entries.factories import entry_payload


@pytest.fixture
def submitter(make_member, auth):
    return auth.headers(make_member("shop-a", roles=["submit", "query"]))


def committed(db, sql: str) -> int:
    """Counted on a connection of its own: only what was committed."""
    with db.engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


def written(db) -> dict[str, int]:
    return {
        "entries": committed(db, "SELECT count(*) FROM entries"),
        "entry events": committed(db, "SELECT count(*) FROM events WHERE tag LIKE 'entry:%'"),
        "changes": committed(db, "SELECT count(*) FROM changes"),
    }


def test_a_batch_failing_half_way_writes_nothing(client, app, db, submitter, monkeypatch):
    """On SQLite the first item's savepoint used to begin, and its release commit, the transaction."""
    real, calls = entries_service.record_listed, []

    def fail_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("injected failure")
        return real(*args, **kwargs)

    monkeypatch.setattr(entries_service, "record_listed", fail_on_second)
    items = [entry_payload(app, f"b{n}", phone=f"1390013900{n}") for n in range(3)]
    response = client.post("/v1/entries:batch", json={"entries": items}, headers=submitter)
    assert response.status_code == 500
    assert len(calls) == 2
    assert written(db) == {"entries": 0, "entry events": 0, "changes": 0}


def test_a_batch_that_succeeds_is_committed_whole_by_the_boundary(client, app, db, submitter):
    items = [entry_payload(app, f"b{n}", phone=f"1390013900{n}") for n in range(3)]
    response = client.post("/v1/entries:batch", json={"entries": items}, headers=submitter)
    assert response.status_code == 200 and response.get_json()["created"] == 3
    assert written(db) == {"entries": 3, "entry events": 3, "changes": 3}


def test_a_handler_raising_after_a_flush_leaves_nothing_written(client, db, auth, make_member, monkeypatch):
    admin = auth.headers(make_member("fed-admin", roles=["admin"]))
    real = members_service.add_member

    def add_then_fail(session, **kwargs):
        member = real(session, **kwargs)  # flushed: the row and its event are in the transaction
        assert session.scalar(select(func.count()).where(Event.subject == f"member:{member.id}"))
        raise Conflict("Injected after the flush.", code="injected")

    monkeypatch.setattr(members_service, "add_member", add_then_fail)
    body = {"id": "shop-z", "display_name": "Shop Z", "roles": ["query"]}
    response = client.post("/v1/members", json=body, headers=admin)
    assert response.status_code == 409 and response.get_json()["code"] == "injected"
    assert committed(db, "SELECT count(*) FROM members WHERE id = 'shop-z'") == 0
    assert committed(db, "SELECT count(*) FROM events WHERE subject = 'member:shop-z'") == 0


@contextmanager
def database_gone_after_commit(engine) -> Iterator[None]:
    """Every statement after the next commit fails, as if the database went away right then."""
    gone: list[bool] = []

    def mark(session: Session) -> None:
        if not session.in_nested_transaction():  # the outermost commit, not a savepoint's release
            gone.append(True)

    def refuse(*args: object) -> None:
        if gone:
            raise RuntimeError("the database went away")

    event.listen(Session, "after_commit", mark)
    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", refuse)
        event.remove(Session, "after_commit", mark)


def test_a_submission_that_committed_is_answered_even_if_the_database_goes_away(client, app, db, submitter):
    """The answer is built before the commit: nothing is reloaded afterwards."""
    with database_gone_after_commit(db.engine):
        response = client.post("/v1/entries", json=entry_payload(app), headers=submitter)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["case_ref"] == "case-1" and len(body["identifiers"]) == 2 and len(body["evidence"]) == 2
    db.session.rollback()
    assert db.session.scalar(select(Entry.ref)) == body["ref"]


def test_a_failing_follow_up_does_not_turn_a_committed_code_into_a_5xx(client, app, db, monkeypatch, caplog):
    receipt = file(client, appeal_body(UNLISTED)).get_json()

    def postman_down(message) -> None:
        raise RuntimeError(f"cannot post to {message.to}")

    monkeypatch.setattr(app.extensions["federation.postman"], "post", postman_down)
    assert ask_for_code(client, receipt["appeal"], CONTACT).status_code == 202
    assert status(client, receipt).status_code == 404  # the new code was committed: the old one is gone
    assert "postman_down failed: RuntimeError" in caplog.text and CONTACT not in caplog.text


# -- the boundary's branches, on a probe app sharing the test database ----------------------------------------
probe = Blueprint("probe", __name__, url_prefix="/probe")
#: What the follow-ups registered by the probe found when they ran.
followed: list[tuple[str, int]] = []


def _touch(name: str) -> None:
    record(_db.session, "probe:touched", f"probe:{name}", actor="test", now=datetime.now(UTC))
    _db.session.flush()


@probe.post("/<name>/ok")
def flush_and_succeed(name):
    _touch(name)
    return {"touched": name}


@probe.post("/<name>/refused")
def flush_and_refuse(name):
    """What the public pages do: render a refusal instead of raising."""
    _touch(name)
    return {"refused": name}, 429


@probe.post("/<name>/crash")
def flush_and_crash(name):
    _touch(name)
    after_commit(lambda: _follow_up(name))
    raise RuntimeError("after the flush")


@probe.post("/<name>/conflict")
def flush_and_conflict(name):
    _touch(name)
    raise Conflict("Refused after the flush.", code="probe_conflict")


@probe.post("/<name>/follow-up")
def flush_and_follow_up(name):
    _touch(name)
    after_commit(lambda: _follow_up(name))
    return {"touched": name}


def _follow_up(name: str) -> None:
    with _db.engine.connect() as connection:  # what another reader sees at that moment
        durable = connection.execute(text(f"SELECT count(*) FROM events WHERE subject = 'probe:{name}'")).scalar_one()  # noqa: S608
    followed.append((name, durable))


@pytest.fixture(scope="module")
def probe_app(app, tmp_path_factory):
    application = build_app(app.config["SQLALCHEMY_DATABASE_URI"], str(tmp_path_factory.mktemp("probe")))
    application.config["PROPAGATE_EXCEPTIONS"] = False
    application.register_blueprint(probe)
    yield application
    with application.app_context():
        _db.engine.dispose()


def touched(db, name: str) -> int:
    return committed(db, f"SELECT count(*) FROM events WHERE subject = 'probe:{name}'")  # noqa: S608 - test names


@pytest.mark.parametrize(("action", "status", "kept"), [("ok", 200, 1), ("refused", 429, 0), ("crash", 500, 0)])
def test_the_boundary_commits_success_and_discards_failure(probe_app, db, action, status, kept):
    assert probe_app.test_client().post(f"/probe/{action}/{action}").status_code == status
    assert touched(db, action) == kept


def test_a_follow_up_runs_once_the_write_is_durable_and_never_for_a_failed_request(probe_app, db):
    followed.clear()
    client = probe_app.test_client()
    assert client.post("/probe/then/follow-up").status_code == 200
    assert client.post("/probe/failed/crash").status_code == 500
    assert followed == [("then", 1)]


def test_a_failing_rollback_does_not_hide_the_failure_it_follows(probe_app, db, monkeypatch):
    """The database going away during the rollback: the client still learns why its request failed."""

    def rollback_fails(session: Session) -> None:
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(Session, "rollback", rollback_fails)
        raised = probe_app.test_client().post("/probe/raised/conflict")
        refused = probe_app.test_client().post("/probe/refused/refused")
    assert raised.status_code == 409 and raised.get_json()["code"] == "probe_conflict"
    assert refused.status_code == 429
    assert touched(db, "raised") == touched(db, "refused") == 0
