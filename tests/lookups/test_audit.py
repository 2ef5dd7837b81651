"""The audit spool: every line kept before the caller returns (or an error), each in the table exactly once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import orjson
import pytest
import sqlalchemy as sa

from federation.errors import ServiceUnavailable
from federation.extensions import db as _db
from federation.lookups.audit import AuditSpool
from federation.lookups.models import LookupRecord


def row(member_id: str, n: int) -> dict:
    return {
        "member_id": member_id,
        "purpose": "order_screening",
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
