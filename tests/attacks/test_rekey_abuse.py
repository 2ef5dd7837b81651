"""Attacks through ``POST /v1/entries:rekey`` after a salt rotation (docs/identifiers.md, docs/warninglists.md).

Promises: "A re-key never adds a new identifier"; a warninglisted value is refused "however it
was hashed"; "Re-keyed entry identifiers inherit the mark of the identifier they prove".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from federation.entries import guard
from federation.entries.models import Entry
from federation.events.models import Event
from federation.warninglists.service import DEFAULT_LISTS
from tests.entries.factories import entry_payload, hashed_under

LISTED = "13700137000"  # the person the entry is really about
VICTIM = "13600136000"  # someone the member wants matched instead
TEST_NUMBERS = json.loads((DEFAULT_LISTS / "cn-test-phone-numbers.json").read_text("utf-8"))


@pytest.fixture
def members(client, auth, make_member):
    return {
        name: auth.headers(make_member(name, roles=roles))
        for name, roles in [("ops", ["admin"]), ("shop-a", ["submit", "query"]), ("risk-c", ["query"])]
    }


@pytest.fixture
def rotated(client, app, db, members, salts, cli):
    """Shop A listed LISTED under the first salt; then the operator added ``rot-2`` (``federation salts add``,
    which also hashes the warninglists under it)."""
    first = salts.current_key_id
    imported = client.post("/v1/warninglists", json=TEST_NUMBERS, headers=members["ops"])
    assert imported.status_code == 201, imported.get_json()
    listed = client.post("/v1/entries", json=entry_payload(app, "a1", phone=LISTED), headers=members["shop-a"])
    assert listed.status_code == 201, listed.get_json()
    cli("salts", "add", "--key-id", "rot-2")
    return first, listed.get_json()["ref"]


def forged_rekey(app, first: str, proven: str, attached: str) -> dict:
    """Proves the entry's phone by its old-salt hash, and attaches another number's hash under the new salt."""
    old = hashed_under(app, first, "phone", proven)[0]
    new = hashed_under(app, "rot-2", "phone", attached)[0]
    return {
        "type": "phone",
        "hashes": [{"key_id": "rot-2", "hash": new["hash"]}, {"key_id": first, "hash": old["hash"]}],
    }


def lookup_by_hand(client, app, headers, raw: str) -> dict:
    response = client.post(
        "/v1/lookups",
        json={
            "purpose": "complaint_intake",
            "reference": "CMP-9",
            "identifiers": hashed_under(app, "rot-2", "phone", raw),
        },
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_rekey_of_another_persons_hash_is_audited_and_answers_for_the_entry(client, app, db, members, rotated):
    """What the server cannot do: compare hashes under two salts (HMAC under two keys). A member that
    re-keys its entry on LISTED with VICTIM's hash under the new salt is asserting, as a listing does,
    that it is the same person; the server screens it (the test above and below), records who added
    which key ids, and the listing answers for it in due process: VICTIM's appeal finds the entry."""
    first, ref = rotated
    response = client.post(
        "/v1/entries:rekey",
        json={"entries": [{"ref": ref, "identifiers": [forged_rekey(app, first, LISTED, VICTIM)]}]},
        headers=members["shop-a"],
    )
    assert response.status_code == 200, response.get_json()
    events = db.session.scalars(
        select(Event).where(Event.tag == "entry:rekeyed", Event.subject == f"entry:{ref}")
    ).all()
    assert [(e.actor, e.payload["key_ids"]) for e in events] == [("shop-a", ["rot-2"])]


def test_a_rekey_cannot_bring_back_a_hash_under_a_reinsertion_guard(
    client, app, db, members, rotated, make_member, auth
):
    """A listing of VICTIM was overturned (its guard keeps VICTIM's hashes under both salts): attaching
    VICTIM's new-salt hash to another entry by a re-key is refused, and nothing is added."""
    first, ref = rotated
    shop_b = auth.headers(make_member("shop-b", roles=["submit"]))
    payload = entry_payload(app, "b1", phone=VICTIM)
    payload["identifiers"] = hashed_under(app, first, "phone", VICTIM) + hashed_under(app, "rot-2", "phone", VICTIM)
    payload["identifiers"] = [
        {"type": "phone", "hashes": [{"key_id": h["key_id"], "hash": h["hash"]} for h in payload["identifiers"]]}
    ]
    listed = client.post("/v1/entries", json=payload, headers=shop_b)
    assert listed.status_code == 201, listed.get_json()
    overturned = db.session.scalars(select(Entry).where(Entry.ref == listed.get_json()["ref"])).one()
    guard.add_guard(db.session, overturned, cause="upheld", actor="review:x", now=datetime.now(UTC))
    db.session.commit()
    response = client.post(
        "/v1/entries:rekey",
        json={"entries": [{"ref": ref, "identifiers": [forged_rekey(app, first, LISTED, VICTIM)]}]},
        headers=members["shop-a"],
    )
    assert response.status_code == 422 and response.get_json()["code"] == "reinsertion_guarded", response.get_json()
    held = db.session.scalars(select(Entry).where(Entry.ref == ref)).one()
    db.session.refresh(held)
    assert {row.key_id for row in held.identifiers if row.type == "phone"} == {first}


def test_a_rekey_cannot_attach_a_warninglisted_number(client, app, members, rotated):
    """Broken: a refuse-warninglisted value (13800138000) is never listed "however it was hashed". Re-keyed
    under the new salt as the hash of the entry's phone, it is accepted (``rekeyed``) and matches at full
    weight, unmarked: the re-key screens nothing against the warninglists."""
    first, ref = rotated
    response = client.post(
        "/v1/entries:rekey",
        json={"entries": [{"ref": ref, "identifiers": [forged_rekey(app, first, LISTED, "13800138000")]}]},
        headers=members["shop-a"],
    )
    assert response.status_code in (200, 422), response.get_json()
    answer = lookup_by_hand(client, app, members["risk-c"], "13800138000")
    matched = [i for i in answer["identifiers"] if i["matched"]]
    assert not matched or all(m["recommended_action"]["action"] in ("accept",) for m in matched), matched
