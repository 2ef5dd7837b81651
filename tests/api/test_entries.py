"""Submitting, reading and retracting entries over the API."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from federation.entries.models import Entry, EntryIdentifier, Evidence
from federation.events.models import Event
from federation.events.service import history
from tests.entries.factories import entry_payload, hashed


@pytest.fixture
def submitter(make_member, auth):
    identity = make_member("shop-a", roles=["submit", "query"])
    return auth.headers(identity)


def count(db, model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_listing_stores_only_peppered_hashes_and_records_the_event(client, app, db, submitter):
    payload = entry_payload(app)
    response = client.post("/v1/entries", json=payload, headers=submitter)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["ref"].startswith("E") and body["state"] == "active" and body["case_ref"] == "case-1"
    assert body["identifiers"] == [
        {"type": kind, "key_id": item["key_id"], "key_ids": [item["key_id"]]}
        for kind, item in zip(("phone", "device"), payload["identifiers"], strict=True)
    ]
    assert body["amount"] == {"value": "199", "currency": "CNY"}
    assert "hash" not in str(body["identifiers"])
    occurred = datetime.fromisoformat(payload["occurred_at"])
    assert datetime.fromisoformat(body["expires_at"]) == occurred + timedelta(days=180)

    stored = {row.stored_hash for row in db.session.scalars(select(EntryIdentifier))}
    member_hashes = {bytes.fromhex(item["hash"]) for item in payload["identifiers"]}
    assert len(stored) == 2 and not stored & member_hashes
    secrets = app.extensions["federation.identifiers"]
    phone = payload["identifiers"][0]
    expected = hmac.new(secrets.pepper, f"{phone['key_id']}\x00phone\x00{phone['hash']}".encode(), hashlib.sha256)
    assert expected.digest() in stored

    [event] = history(db.session, f"entry:{body['ref']}")
    assert event.tag == "entry:listed" and event.actor == "shop-a"
    assert event.payload["identifier_types"] == ["device", "phone"]
    assert phone["hash"] not in str(event.payload)


@pytest.mark.parametrize(
    ("mutate", "pointer"),
    [
        (lambda p: p["identifiers"][0].update(hash="ABC"), "/identifiers/0/hash"),
        (lambda p: p["identifiers"][0].update(hash=p["identifiers"][0]["hash"].upper()), "/identifiers/0/hash"),
        (lambda p: p["identifiers"][0].update(key_id="retired-2019"), "/identifiers/0/key_id"),
        (lambda p: p["identifiers"][0].update(type="passport"), "/identifiers/0/type"),
        (lambda p: p["identifiers"].append(dict(p["identifiers"][0])), "/identifiers/2"),
        (lambda p: p.update(identifiers=[]), "/identifiers"),
        (lambda p: p.update(occurred_at=(datetime.now(UTC) + timedelta(days=1)).isoformat()), "/occurred_at"),
        (lambda p: p.update(occurred_at="2026-01-01T00:00:00"), "/occurred_at"),
        (lambda p: p["review"].update(reviewed_at="2020-01-01T00:00:00+00:00"), "/review/reviewed_at"),
        (lambda p: p["review"].pop("human_reviewer"), "/review/human_reviewer"),
        (lambda p: p["review"].update(ai_score=1.2), "/review/ai_score"),
        (lambda p: p.update(tier=3), "/amount/value"),
        (lambda p: p.update(tier="2"), "/tier"),
        (lambda p: p.update(category="annoying"), "/category"),
        (lambda p: p["amount"].update(currency="XYZ"), "/amount/currency"),
        (lambda p: p["amount"].update(value="-5"), "/amount/value"),
        (lambda p: p["amount"].update(value="1e3"), "/amount/value"),
        (lambda p: p.update(evidence=[]), "/evidence"),
        (lambda p: p["evidence"][0].update(sha256="0" * 63), "/evidence/0/sha256"),
        (lambda p: p["evidence"][1].update(sha256=p["evidence"][0]["sha256"]), "/evidence/1/sha256"),
        (lambda p: p.update(surprise=True), "/surprise"),
    ],
)
def test_invalid_submissions_name_the_field_and_write_nothing(client, app, db, submitter, mutate, pointer):
    payload = entry_payload(app)
    mutate(payload)
    response = client.post("/v1/entries", json=payload, headers=submitter)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert pointer in [error["pointer"] for error in response.get_json()["errors"]]
    assert count(db, Entry) == count(db, EntryIdentifier) == count(db, Evidence) == 0
    assert count(db, Event) == 2  # only the fixture's member:added and key:added


def test_oversized_body_is_413_and_writes_nothing(client, app, db, submitter):
    payload = entry_payload(
        app,
        review={
            "ai_score": 0.9,
            "ai_model": "x" * (9 * 2**20),
            "human_reviewer": "r",
            "reviewed_at": datetime.now(UTC).isoformat(),
        },
    )
    assert client.post("/v1/entries", json=payload, headers=submitter).status_code == 413
    assert count(db, Entry) == 0


def test_resending_the_same_case_returns_the_same_entry(client, app, db, submitter):
    payload = entry_payload(app)
    first = client.post("/v1/entries", json=payload, headers=submitter)
    payload["identifiers"].reverse()  # order does not matter
    again = client.post("/v1/entries", json=payload, headers=submitter)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["ref"] == first.get_json()["ref"]
    assert count(db, Entry) == 1
    assert [e.tag for e in history(db.session, f"entry:{first.get_json()['ref']}")] == ["entry:listed"]


def test_same_case_with_different_content_is_409(client, app, db, submitter):
    client.post("/v1/entries", json=entry_payload(app), headers=submitter)
    response = client.post("/v1/entries", json=entry_payload(app, tier=2), headers=submitter)
    assert response.status_code == 409 and response.get_json()["code"] == "idempotency_conflict"
    assert count(db, Entry) == 1


def test_case_refs_are_per_member(client, app, auth, make_member, submitter):
    other = auth.headers(make_member("shop-b", roles=["submit"]))
    assert client.post("/v1/entries", json=entry_payload(app), headers=submitter).status_code == 201
    assert client.post("/v1/entries", json=entry_payload(app), headers=other).status_code == 201


def test_idempotency_key_replaces_case_ref(client, app, db, submitter):
    payload = entry_payload(app)
    del payload["case_ref"]
    assert client.post("/v1/entries", json=payload, headers=submitter).status_code == 422
    keyed = {**submitter, "Idempotency-Key": "8f2c1a"}
    first = client.post("/v1/entries", json=payload, headers=keyed)
    again = client.post("/v1/entries", json=payload, headers=keyed)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["ref"] == again.get_json()["ref"] and first.get_json()["case_ref"] is None
    changed = client.post("/v1/entries", json={**payload, "tier": 2}, headers=keyed)
    assert changed.status_code == 409
    assert count(db, Entry) == 1


def test_batch_accepts_and_rejects_item_by_item(client, app, db, submitter):
    client.post("/v1/entries", json=entry_payload(app, "dup"), headers=submitter)
    items = [
        entry_payload(app, "b1", phone="13900139000"),
        entry_payload(app, "b2", tier=9),
        entry_payload(app, "dup"),
        entry_payload(app, "dup", tier=2),
        {"not": "an entry"},
        entry_payload(app, "b3", phone="13700137000"),
    ]
    response = client.post("/v1/entries:batch", json={"entries": items}, headers=submitter)
    assert response.status_code == 200
    body = response.get_json()
    assert [r["status"] for r in body["results"]] == [
        "created",
        "rejected",
        "existing",
        "conflict",
        "rejected",
        "created",
    ]
    assert (body["created"], body["existing"], body["rejected"]) == (2, 1, 3)
    assert "/tier" in [e["pointer"] for e in body["results"][1]["errors"]]
    assert body["results"][0]["entry"]["case_ref"] == "b1"
    assert count(db, Entry) == 3  # durable once the response is sent


def test_batch_limit(client, app, submitter):
    response = client.post("/v1/entries:batch", json={"entries": [{}] * 1001}, headers=submitter)
    assert response.status_code == 422 and response.get_json()["errors"][0]["pointer"] == "/entries"


def test_members_read_only_their_own_entries(client, app, auth, make_member, submitter):
    ref = client.post("/v1/entries", json=entry_payload(app), headers=submitter).get_json()["ref"]
    assert (
        client.get(f"/v1/entries/{ref}", headers=submitter).get_json()["evidence"][1]["uri"]
        == "s3://evidence/chat.json"
    )
    other = auth.headers(make_member("shop-b", roles=["submit"]))
    response = client.get(f"/v1/entries/{ref}", headers=other)
    assert response.status_code == 404 and response.get_json()["code"] == "entry_not_found"
    assert client.get("/v1/entries", headers=other).get_json()["entries"] == []


def test_query_scope_alone_cannot_submit(client, app, auth, make_member):
    reader = auth.headers(make_member("reader", roles=["query"]))
    assert client.post("/v1/entries", json=entry_payload(app), headers=reader).status_code == 403


def test_listing_pages_with_a_cursor_and_filters(client, app, submitter):
    refs = [
        client.post("/v1/entries", json=entry_payload(app, f"c{i}", tier=1 + i % 2), headers=submitter).get_json()[
            "ref"
        ]
        for i in range(5)
    ]
    first = client.get("/v1/entries?limit=2", headers=submitter).get_json()
    second = client.get(f"/v1/entries?limit=2&cursor={first['next_cursor']}", headers=submitter).get_json()
    third = client.get(f"/v1/entries?limit=2&cursor={second['next_cursor']}", headers=submitter).get_json()
    seen = [e["ref"] for page in (first, second, third) for e in page["entries"]]
    assert seen == list(reversed(refs)) and third["next_cursor"] is None
    tier_two = client.get("/v1/entries?tier=2", headers=submitter).get_json()["entries"]
    assert {e["case_ref"] for e in tier_two} == {"c1", "c3"}
    assert client.get("/v1/entries?cursor=%%%", headers=submitter).status_code == 422
    assert client.get("/v1/entries?limit=500", headers=submitter).status_code == 422


def test_retraction_by_the_submitter_only(client, app, db, auth, make_member, submitter):
    ref = client.post("/v1/entries", json=entry_payload(app), headers=submitter).get_json()["ref"]
    other = auth.headers(make_member("shop-b", roles=["submit"]))
    assert client.post(f"/v1/entries/{ref}/retract", json={"reason": "x"}, headers=other).status_code == 404
    assert client.post(f"/v1/entries/{ref}/retract", json={}, headers=submitter).status_code == 422
    response = client.post(
        f"/v1/entries/{ref}/retract", json={"reason": "customer proved delivery failed"}, headers=submitter
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == "retracted" and body["end_reason"] == "customer proved delivery failed"
    again = client.post(f"/v1/entries/{ref}/retract", json={"reason": "twice"}, headers=submitter)
    assert again.status_code == 200 and again.get_json()["end_reason"] == "customer proved delivery failed"
    assert [e.tag for e in history(db.session, f"entry:{ref}")] == ["entry:listed", "entry:retracted"]


def test_same_person_listed_by_two_members_shares_stored_hashes(client, app, db, auth, make_member, submitter):
    other = auth.headers(make_member("shop-b", roles=["submit"]))
    client.post("/v1/entries", json=entry_payload(app, "a1"), headers=submitter)
    payload = entry_payload(app, "b1", identifiers=hashed(app, "phone", "+86 138-0013-8000"))
    client.post("/v1/entries", json=payload, headers=other)
    phone_rows = db.session.scalars(select(EntryIdentifier.stored_hash).where(EntryIdentifier.type == "phone")).all()
    assert len(phone_rows) == 2 and len(set(phone_rows)) == 1
