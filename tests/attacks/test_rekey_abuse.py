"""Attacks through ``POST /v1/entries:rekey`` after a salt rotation (docs/identifiers.md, docs/warninglists.md).

Promises: "A re-key never adds a new identifier"; a warninglisted value is refused "however it
was hashed"; "Re-keyed entry identifiers inherit the mark of the identifier they prove".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from federation.entries import salt_rotation
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
def rotated(client, app, db, members, salts):
    """Shop A listed LISTED under the first salt; then the operator added ``rot-2``."""
    first = salts.current_key_id
    imported = client.post("/v1/warninglists", json=TEST_NUMBERS, headers=members["ops"])
    assert imported.status_code == 201, imported.get_json()
    listed = client.post("/v1/entries", json=entry_payload(app, "a1", phone=LISTED), headers=members["shop-a"])
    assert listed.status_code == 201, listed.get_json()
    salt_rotation.add_salt(db.session, salts, "rot-2", actor="cli:op", now=datetime.now(UTC))
    db.session.commit()
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


def test_a_rekey_cannot_attach_another_persons_hash_to_an_entry(client, app, members, rotated):
    """Broken: "A re-key never adds a new identifier". The server cannot check that the new-salt hash is
    the same number as the old-salt proof: a member re-keys its entry on LISTED with VICTIM's hash under
    the new salt (status ``rekeyed``), and from then on VICTIM matches the entry for every member
    hashing with the current salt, with no warninglist, reinsertion-guard, surge or review check."""
    first, ref = rotated
    response = client.post(
        "/v1/entries:rekey",
        json={"entries": [{"ref": ref, "identifiers": [forged_rekey(app, first, LISTED, VICTIM)]}]},
        headers=members["shop-a"],
    )
    assert response.status_code in (200, 422), response.get_json()
    assert lookup_by_hand(client, app, members["risk-c"], VICTIM)["hits"] == 0


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
