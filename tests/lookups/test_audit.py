"""The group-committing audit writer: every row durable before the caller returns, or an error."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from federation.errors import ServiceUnavailable
from federation.extensions import db as _db
from federation.lookups.audit import AuditWriter
from federation.lookups.models import LookupRecord
from federation.members.models import Member


def row(member_id: str, n: int) -> dict:
    return {
        "member_id": member_id,
        "purpose": "order_screening",
        "created_at": datetime.now(UTC),
        "identifiers": n,
        "hits": 0,
        "matched_refs": [],
    }


def test_rows_from_many_threads_are_all_committed_before_write_returns(db, make_member):
    make_member("risk-c")
    engine = _db.engine
    writer = AuditWriter(engine)
    seen_after_write: list[int] = []

    def lookup(n: int) -> None:
        writer.write(row("risk-c", n))
        with engine.connect() as conn:  # a fresh connection must already see it
            seen_after_write.append(
                conn.execute(
                    sa.select(sa.func.count()).select_from(LookupRecord).where(LookupRecord.identifiers == n)
                ).scalar()
            )

    threads = [threading.Thread(target=lookup, args=(n,)) for n in range(1, 17)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert seen_after_write == [1] * 16
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LookupRecord)) == 16


def test_a_row_that_cannot_be_written_fails_the_caller(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'no-tables.db'}")  # no lookup_records table
    writer = AuditWriter(engine, timeout=10)
    with pytest.raises(ServiceUnavailable) as caught:
        writer.write(row("risk-c", 1))
    assert caught.value.code == "audit_unavailable"
    engine.dispose()


def test_sqlite_writers_queue_on_a_lock_file_beside_the_database(tmp_path):
    path = tmp_path / "federation.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # just the two tables involved, on a scratch database
        Member.metadata.create_all(conn, tables=[Member.__table__, LookupRecord.__table__])
        now = datetime.now(UTC)
        conn.execute(
            sa.insert(Member),
            {
                "id": "risk-c",
                "display_name": "R",
                "status": "active",
                "roles": "query",
                "trust_weight": 1.0,
                "contact": "",
                "created_at": now,
                "updated_at": now,
            },
        )
    writer = AuditWriter(engine)
    writer.write({**row("risk-c", 3)})
    assert (tmp_path / "federation.db.audit-lock").exists()
    engine.dispose()


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
