"""The audit spool: every line kept before the caller returns (or an error), each in the table exactly once."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import orjson
import pytest
import sqlalchemy as sa

from federation.errors import ServiceUnavailable
from federation.extensions import db as _db
from federation.lookups import audit
from federation.lookups.audit import AuditSpool
from federation.lookups.models import LookupRecord


def row(member_id: str, n: int) -> dict:
    return {
        "member_id": member_id,
        "purpose": "order_screening",
        "reference": f"ORD-{n}",
        "created_at": datetime.now(UTC),
        "identifiers": n,
        "hits": 0,
        "matched_refs": [],
    }


def count_rows(engine, **where) -> int:
    query = sa.select(sa.func.count()).select_from(LookupRecord)
    for column, value in where.items():
        query = query.where(getattr(LookupRecord, column) == value)
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def test_lines_from_many_threads_all_reach_the_table_exactly_once(db, make_member, tmp_path):
    make_member("risk-c")
    spool = AuditSpool(_db.engine, tmp_path / "spool", interval=3600)  # flushed by hand here

    def lookup(n: int) -> None:
        spool.write(row("risk-c", n))

    threads = [threading.Thread(target=lookup, args=(n,)) for n in range(1, 17)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(list((tmp_path / "spool").glob("*.spool"))) == 1  # one file per worker, held open
    assert spool.flush() == 16
    assert count_rows(_db.engine) == 16 and all(count_rows(_db.engine, identifiers=n) == 1 for n in range(1, 17))
    assert spool.flush() == 0  # nothing twice


def test_a_spool_left_by_a_dead_worker_is_taken_over_and_a_second_copy_adds_nothing(db, make_member, tmp_path):
    make_member("risk-c")
    folder = tmp_path / "spool"
    folder.mkdir()
    lines = b"".join(orjson.dumps({**row("risk-c", n), "audit_key": f"dead-worker-{n}"}) + b"\n" for n in (1, 2, 3))
    (folder / "4242-dead-1.spool").write_bytes(lines + b'{"member_id": "risk-c", "purp')  # it died mid-line
    (folder / "4242-dead-copy.spool").write_bytes(lines)  # as if it crashed between commit and delete
    assert AuditSpool(_db.engine, folder).recover() == 6  # read, of which 3 are new
    assert count_rows(_db.engine) == 3 and list(folder.glob("*.spool")) == []


def test_a_live_workers_spool_is_left_alone(db, make_member, tmp_path):
    make_member("risk-c")
    writer = AuditSpool(_db.engine, tmp_path / "spool", interval=3600)
    writer.write(row("risk-c", 1))
    assert AuditSpool(_db.engine, tmp_path / "spool").recover() == 0  # its flock says it is alive
    assert writer.flush() == 1


def test_a_spool_that_cannot_reach_the_database_is_kept_for_later(db, make_member, tmp_path):
    make_member("risk-c")
    broken = sa.create_engine(f"sqlite:///{tmp_path / 'no-tables.db'}")
    spool = AuditSpool(broken, tmp_path / "spool", interval=3600)
    spool.write(row("risk-c", 7))
    assert spool.flush() == 0 and len(list((tmp_path / "spool").glob("*.spool"))) >= 1
    assert AuditSpool(_db.engine, tmp_path / "spool").recover() == 1
    assert count_rows(_db.engine, identifiers=7) == 1
    broken.dispose()


def test_a_line_that_cannot_be_written_fails_the_caller(tmp_path):
    (tmp_path / "not-a-folder").write_text("")
    spool = AuditSpool(sa.create_engine("sqlite://"), tmp_path / "not-a-folder" / "spool")
    with pytest.raises(ServiceUnavailable) as caught:
        spool.write(row("risk-c", 1))
    assert caught.value.code == "audit_unavailable"


def test_the_lookup_endpoint_answers_503_when_its_audit_fails(client, app, auth, make_member):
    headers = auth.headers(make_member("risk-c", roles=["query"]))
    context = app.extensions["federation.lookups"]

    def broken(row: dict) -> None:
        raise ServiceUnavailable("The lookup could not be audited.", code="audit_unavailable")

    working = context.write_audit
    object.__setattr__(context, "write_audit", broken)  # a frozen dataclass: swapped for this test only
    try:
        response = client.post(
            "/v1/lookups",
            headers=headers,
            json={
                "purpose": "complaint_intake",
                "reference": "CMP-1",
                "identifiers": [
                    {
                        "type": "phone",
                        "hash": "a" * 64,
                        "key_id": app.extensions["federation.identifiers"].current_key_id,
                    }
                ],
            },
        )
    finally:
        object.__setattr__(context, "write_audit", working)
    assert response.status_code == 503 and response.get_json()["code"] == "audit_unavailable"
    assert "identifiers" not in response.get_json()  # no answer for an unaudited lookup


def test_recovery_racing_a_new_spool_file_takes_nothing_from_its_writer(db, make_member, tmp_path, monkeypatch):
    """The race that lost lines with no fault: another worker's recovery runs exactly between the
    writer creating its new spool file and locking it. It must not see that file as a dead worker's."""
    make_member("risk-c")
    folder = tmp_path / "spool"
    writer, other_worker = AuditSpool(_db.engine, folder, interval=3600), AuditSpool(_db.engine, folder)
    real_flock, recovered = fcntl.flock, []

    def flock_after_a_rival_recovery(fd: int, operation: int) -> None:
        if operation == fcntl.LOCK_EX and not recovered:  # the writer's blocking lock of its new file
            recovered.append(other_worker.recover())
        real_flock(fd, operation)

    monkeypatch.setattr(audit.fcntl, "flock", flock_after_a_rival_recovery)
    writer.write(row("risk-c", 1))
    writer.write(row("risk-c", 2))
    assert recovered == [0] and len(list(folder.glob("*.spool"))) == 1  # the live file was left alone
    assert writer.flush() == 2 and count_rows(_db.engine) == 2


def test_recovery_skips_a_file_another_recovery_deleted_after_it_was_opened(
    db, make_member, tmp_path, monkeypatch, caplog
):
    make_member("risk-c")
    folder = tmp_path / "spool"
    folder.mkdir()
    dead = folder / "4242-dead-1.spool"
    dead.write_bytes(orjson.dumps({**row("risk-c", 1), "audit_key": "dead-worker-1"}) + b"\n")
    first, second = AuditSpool(_db.engine, folder), AuditSpool(_db.engine, folder)
    real_flock, taken = fcntl.flock, []

    def flock_after_the_first_recovery(fd: int, operation: int) -> None:
        if not taken:  # the second recovery opened the file; the first ingests and deletes it now
            taken.append(None)
            taken[0] = first.recover()
        real_flock(fd, operation)

    monkeypatch.setattr(audit.fcntl, "flock", flock_after_the_first_recovery)
    assert second.recover() == 0 and taken == [1]  # the deleted inode is not read a second time
    assert count_rows(_db.engine) == 1 and not dead.exists()
    assert not [record for record in caplog.records if record.levelname == "ERROR"]  # no failed ingestion either


def test_an_abandoned_creating_file_is_removed_and_a_fresh_one_is_left_alone(tmp_path):
    folder = tmp_path / "spool"
    folder.mkdir()
    old, fresh = folder / f"4242-x-1{audit.SUFFIX}{audit.CREATING}", folder / f"4343-y-1{audit.SUFFIX}{audit.CREATING}"
    old.touch()
    fresh.touch()
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert AuditSpool(sa.create_engine("sqlite://"), folder).recover() == 0
    assert not old.exists() and fresh.exists()


WORKER = """
import os, sys
from federation import create_app
from federation.config import TestConfig
from tests.entries.factories import hashed

app = create_app(TestConfig, {"DATABASE_URL": os.environ["DB_URL"]}, instance_path=os.environ["INSTANCE"])
app.extensions["federation.lookups.audit"].interval = 3600  # only recovery may move these lines
client = app.test_client()
body = {"purpose": "complaint_intake", "reference": "CMP-1", "identifiers": hashed(app, "phone", "13900139000")}
headers = {"Authorization": "Bearer " + os.environ["TOKEN"]}
n = 0
while True:
    response = client.post("/v1/lookups", json=body, headers=headers)
    assert response.status_code == 200, response.get_data()
    n += 1
    print(n, flush=True)  # acknowledged: the answer left the server
"""


def test_every_lookup_a_killed_worker_acknowledged_reaches_the_table(app, db, auth, make_member):
    """A real worker process serving lookups is SIGKILLed; recovery (as in ``federation tick``) moves its spool."""
    token = auth.token(make_member("risk-k", roles=["query"]))
    env = {
        **os.environ,
        "DB_URL": db.engine.url.render_as_string(hide_password=False),
        "INSTANCE": app.instance_path,
        "TOKEN": token,
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    worker = subprocess.Popen([sys.executable, "-c", WORKER], env=env, stdout=subprocess.PIPE)  # noqa: S603
    acknowledged = 0
    try:
        while acknowledged < 40:
            line = worker.stdout.readline()
            assert line, "the worker died before answering"
            acknowledged = int(line)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
        worker.stdout.close()
    assert count_rows(db.engine, member_id="risk-k") == 0  # nothing moved yet: its ingester never ran
    assert app.extensions["federation.lookups.audit"].recover() >= acknowledged
    assert count_rows(db.engine, member_id="risk-k") >= acknowledged
