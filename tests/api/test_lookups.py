"""Lookups end to end: what matches, what a member learns, what is audited, what it costs."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import event, select

from federation.entries import expiry
from federation.extensions import db as _db
from federation.lookups.models import LookupRecord
from federation.members.models import Member
from tests.entries.factories import OCCURRED, entry_payload, hashed

PHONE, OTHER_PHONE = "13800138000", "13900139000"
HALF_LIFE = {"phone": 365, "device": 180, "ip_net": 14}


def decayed(weight: float, type_: str) -> float:
    """``weight`` after the factory's offence age (docs/scoring.md)."""
    age_days = (datetime.now(UTC) - OCCURRED).total_seconds() / 86400
    return weight * 0.5 ** (age_days / HALF_LIFE[type_])


@pytest.fixture
def reporters(client, app, auth, make_member):
    """Two reporting members and a querying one, with tokens."""
    return {
        name: auth.headers(make_member(name, roles=roles))
        for name, roles in [("shop-a", ["submit"]), ("shop-b", ["submit"]), ("risk-c", ["query"])]
    }


def list_entry(client, app, headers, case_ref, **overrides):
    response = client.post("/v1/entries", json=entry_payload(app, case_ref, **overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["ref"]


def query(app, raw: str, type_: str = "phone", subject: str | None = None) -> list[dict]:
    return [{**h, "subject": subject} if subject else h for h in hashed(app, type_, raw)]


def lookup(client, headers, identifiers, purpose="complaint_intake", reference="CMP-2026-0001"):
    body = {"purpose": purpose, "reference": reference, "identifiers": identifiers}
    return client.post("/v1/lookups", json=body, headers=headers)


def test_a_listed_phone_matches_with_explainable_confidence(client, app, reporters):
    ref = list_entry(client, app, reporters["shop-a"], "a1")
    response = lookup(
        client,
        reporters["risk-c"],
        query(app, "+86 138 0013 8000", subject="complainant") + query(app, OTHER_PHONE, subject="complainant"),
    )
    assert response.status_code == 200
    body = response.get_json()
    hit, miss = body["identifiers"]
    assert hit["matched"] and hit["confidence"] == pytest.approx(decayed(0.85, "phone"), abs=1e-4)
    assert hit["reporting_members"] == 1 and hit["matches"][0]["ref"] == ref
    assert hit["matches"][0]["state"] == "active" and hit["matches"][0]["category"] == "refund_after_use"
    assert hit["factors"]["type_weights"] == {"phone": 0.85} and hit["factors"]["counted_entries"] == 1
    assert hit["recommended_action"]["action"] == "warn_and_freeze"
    assert miss == {"index": 1, "type": "phone", "matched": False, "confidence": 0.0}  # misses stay small
    [subject] = body["subjects"]
    assert subject["subject"] == "complainant" and subject["recommended_action"]["rule"] == "first_strike"
    freeze = datetime.fromisoformat(subject["recommended_action"]["freeze_until"])
    assert timedelta(days=14, hours=23) < freeze - datetime.now(UTC) <= timedelta(days=15)


def test_two_members_make_a_second_strike_and_the_reporters_stay_anonymous(client, app, reporters):
    list_entry(client, app, reporters["shop-a"], "a1")
    list_entry(client, app, reporters["shop-b"], "b1")
    body = lookup(client, reporters["risk-c"], query(app, PHONE, subject="c")).get_json()
    assert body["identifiers"][0]["reporting_members"] == 2
    assert body["subjects"][0]["recommended_action"]["action"] == "ban"
    text = str(body)
    assert "shop-a" not in text and "shop-b" not in text and "sha256" not in text and "a1" not in text


def test_subject_identifiers_corroborate_one_entry(client, app, reporters):
    list_entry(client, app, reporters["shop-a"], "a1")  # phone + device
    ids = query(app, PHONE, subject="p") + query(app, "352099001761481", "device", subject="p")
    subject = lookup(client, reporters["risk-c"], ids).get_json()["subjects"][0]
    expected = 1 - (1 - decayed(0.85, "phone")) * (1 - decayed(0.7, "device"))
    assert subject["confidence"] == pytest.approx(expected, abs=1e-4) and subject["matched_entries"] == 1


def test_the_freeze_ends_fifteen_days_after_the_listing(client, app, db, reporters):
    """A lookup 16 days after the listing recommends review under its own rule, never a fresh freeze."""
    from federation.entries.models import Entry

    ref = list_entry(client, app, reporters["shop-a"], "a1")
    listed = datetime.now(UTC) - timedelta(days=16)
    db.session.execute(Entry.__table__.update().where(Entry.ref == ref).values(listed_at=listed))
    db.session.commit()
    action = lookup(client, reporters["risk-c"], query(app, PHONE, subject="c")).get_json()["subjects"][0]
    assert action["recommended_action"] == {
        "action": "review",
        "rule": "first_strike_freeze_served",
        "strikes": 1,
        "total_amount": {"CNY": "199"},
        "freeze_until": None,
    }
    db.session.execute(Entry.__table__.update().where(Entry.ref == ref).values(listed_at=listed + timedelta(days=2)))
    db.session.commit()
    action = lookup(client, reporters["risk-c"], query(app, PHONE, subject="c")).get_json()["subjects"][0]
    freeze = datetime.fromisoformat(action["recommended_action"]["freeze_until"])
    assert action["recommended_action"]["action"] == "warn_and_freeze"
    assert abs(freeze - (listed + timedelta(days=17))) < timedelta(seconds=1)


def test_ip_network_alone_never_freezes(client, app, reporters):
    list_entry(client, app, reporters["shop-a"], "a1", identifiers=hashed(app, "ip", "114.114.114.114"))
    body = lookup(client, reporters["risk-c"], [{**query(app, "114.114.114.9", "ip")[1], "subject": "s"}]).get_json()
    assert body["identifiers"][0]["matched"]
    assert body["identifiers"][0]["confidence"] == pytest.approx(decayed(0.15, "ip_net"), abs=1e-4)
    assert body["subjects"][0]["recommended_action"]["action"] == "accept"


def test_retracted_and_expired_entries_never_match(client, app, db, reporters):
    ref = list_entry(client, app, reporters["shop-a"], "a1")
    assert lookup(client, reporters["risk-c"], query(app, PHONE)).get_json()["hits"] == 1
    client.post(f"/v1/entries/{ref}/retract", json={"reason": "wrong person"}, headers=reporters["shop-a"])
    assert lookup(client, reporters["risk-c"], query(app, PHONE)).get_json()["hits"] == 0
    list_entry(
        client,
        app,
        reporters["shop-b"],
        "b1",
        phone=OTHER_PHONE,
        occurred_at=(datetime.now(UTC) - timedelta(days=179, hours=23, minutes=59)).isoformat(),
        review={"ai_score": 0.9, "ai_model": "m", "human_reviewer": "r", "reviewed_at": datetime.now(UTC).isoformat()},
        evidence=[{"kind": "other", "sha256": "c" * 64, "size": 1, "captured_at": datetime.now(UTC).isoformat()}],
    )
    assert lookup(client, reporters["risk-c"], query(app, OTHER_PHONE)).get_json()["hits"] == 1
    expiry.purge(db.session, now=datetime.now(UTC) + timedelta(minutes=2))
    db.session.commit()
    assert lookup(client, reporters["risk-c"], query(app, OTHER_PHONE)).get_json()["hits"] == 0


def test_suspended_and_disputed_entries_are_shown_but_weigh_less(client, app, db, reporters):
    from federation.entries.models import Entry

    first = list_entry(client, app, reporters["shop-a"], "a1")
    second = list_entry(client, app, reporters["shop-b"], "b1")
    db.session.execute(Entry.__table__.update().where(Entry.ref == first).values(state="suspended"))
    db.session.execute(Entry.__table__.update().where(Entry.ref == second).values(open_disputes=1))
    db.session.commit()
    result = lookup(client, reporters["risk-c"], query(app, PHONE, subject="s")).get_json()
    states = {m["ref"]: (m["state"], m["weight"]) for m in result["identifiers"][0]["matches"]}
    assert states == {
        first: ("suspended", 0.0),
        second: ("disputed", pytest.approx(decayed(0.85, "phone") / 2, abs=1e-4)),
    }
    assert result["subjects"][0]["recommended_action"]["action"] == "review"


def test_every_lookup_is_audited_without_the_hashes_of_misses(client, app, db, reporters):
    ref = list_entry(client, app, reporters["shop-a"], "a1")
    misses = query(app, OTHER_PHONE)
    lookup(client, reporters["risk-c"], query(app, PHONE) + misses, purpose="order_screening")
    spool = app.extensions["federation.lookups.audit"]
    spooled = b"".join(path.read_bytes() for path in spool.folder.glob("*.spool"))
    assert misses[0]["hash"].encode() not in spooled and b"risk-c" in spooled  # kept before the answer
    spool.flush()
    db.session.rollback()
    [record] = db.session.scalars(select(LookupRecord)).all()
    assert (record.member_id, record.purpose, record.identifiers, record.hits, record.matched_refs) == (
        "risk-c",
        "order_screening",
        2,
        1,
        [ref],
    )
    assert misses[0]["hash"] not in str(record.__dict__)
    stats = client.get("/v1/lookups/stats", headers=reporters["risk-c"]).get_json()
    assert (stats["requests"], stats["identifiers"], stats["hits"]) == (1, 2, 1)
    assert stats["days"][0]["purpose"] == "order_screening"
    assert client.get("/v1/lookups/stats", headers=reporters["shop-a"]).status_code == 403


@contextmanager
def counted_selects(engine):
    """Statements that read ``entry_identifiers``, counted at the driver, whoever sends them.

    The lookup's match query runs on the driver's cursor (``lookups/matching.py``), below
    SQLAlchemy's events: SQLite reports statements through its trace callback; psycopg
    connections get a cursor class that records them.
    """
    statements: list[str] = []

    def seen(statement: str) -> None:
        if "entry_identifiers" in statement:
            statements.append(statement)

    class RecordingCursor(psycopg.Cursor):
        def execute(self, query, params=None, **kwargs):
            seen(str(query))
            return super().execute(query, params, **kwargs)

    def instrument(dbapi_connection, _record, _proxy) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(seen)
        else:
            dbapi_connection.cursor_factory = RecordingCursor

    def restore(dbapi_connection, _record) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(None)
        else:
            dbapi_connection.cursor_factory = psycopg.Cursor

    event.listen(engine, "checkout", instrument)
    event.listen(engine, "checkin", restore)
    try:
        yield statements
    finally:
        event.remove(engine, "checkout", instrument)
        event.remove(engine, "checkin", restore)


@pytest.mark.parametrize("size", [1, 1000])
def test_one_round_trip_for_matching_whatever_the_batch_size(client, app, db, reporters, size):
    list_entry(client, app, reporters["shop-a"], "a1")
    identifiers = query(app, PHONE) + [
        {"type": "device", "hash": f"{i:064x}", "key_id": query(app, PHONE)[0]["key_id"]} for i in range(size - 1)
    ]
    with counted_selects(_db.engine) as statements:
        response = lookup(client, reporters["risk-c"], identifiers)
    assert response.status_code == 200 and len(response.get_json()["identifiers"]) == size
    assert len(statements) == 1


def test_unknown_key_ids_and_bad_bodies_are_problems(client, app, reporters):
    bad_key = [{**query(app, PHONE)[0], "key_id": "retired"}]
    response = lookup(client, reporters["risk-c"], bad_key)
    assert response.status_code == 422 and response.get_json()["errors"][0]["pointer"] == "/identifiers/0/key_id"
    assert (
        client.post("/v1/lookups", data="{", content_type="application/json", headers=reporters["risk-c"]).status_code
        == 400
    )
    assert (
        client.post("/v1/lookups", data="x", content_type="text/plain", headers=reporters["risk-c"]).status_code == 415
    )
    assert lookup(client, reporters["shop-a"], query(app, PHONE)).status_code == 403


def test_daily_quota_refuses_and_rolls_back(client, app, db, reporters):
    db.session.get(Member, "risk-c").daily_lookup_quota = 3
    db.session.commit()
    assert lookup(client, reporters["risk-c"], query(app, PHONE) * 2).status_code == 200
    refused = lookup(client, reporters["risk-c"], query(app, PHONE) * 2)
    assert refused.status_code == 429 and refused.get_json()["code"] == "quota_exceeded"
    assert int(refused.headers["Retry-After"]) > 0
    assert lookup(client, reporters["risk-c"], query(app, PHONE)).status_code == 200  # 3 of 3
    app.extensions["federation.lookups.audit"].flush()
    db.session.rollback()
    assert len(db.session.scalars(select(LookupRecord)).all()) == 2  # the refused one left no audit row


def test_rules_publish_and_current(client, app, db):
    runner = app.test_cli_runner()
    assert client.get("/v1/rules/current").status_code == 404
    result = runner.invoke(args=["rules", "publish", "docs/rules/2026.1.toml"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["rules", "publish", "docs/rules/2026.1.toml"])
    assert again.exit_code != 0 and "rules_version_exists" in again.output
    body = client.get("/v1/rules/current").get_json()  # public: shown to users before they complain
    assert body["version"] == "2026.1" and "冻结投诉权限 15 天" in body["text"]["zh-CN"]
    assert "frozen for 15 days" in body["text"]["en"]
    assert body["ladder"]["freeze_days"] == 15 and body["ladder"]["police_referral_thresholds"]["CNY"] == "5000"
    assert body["ladder"]["freeze_counted_from"] == "listed_at"
    rules = {rule["rule"]: rule for rule in body["ladder"]["rules"]}
    assert rules["first_strike_freeze_served"]["action"] == "review"
    assert "freeze" in rules["first_strike"]["when"]["en"] and "冻结" in rules["first_strike"]["when"]["zh-CN"]
