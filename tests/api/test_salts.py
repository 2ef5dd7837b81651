"""A salt rotation through the HTTP API: what members are served, how they look up, list and re-key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from federation.entries import salt_rotation
from federation.members.models import Member
from tests.entries.factories import entry_payload, hashed_all, hashed_under

PHONE, DEVICE = "13800138000", "35-209900-176148-1"


@pytest.fixture
def members(client, auth, make_member):
    return {
        name: auth.headers(make_member(name, roles=roles))
        for name, roles in [("shop-a", ["submit", "query"]), ("shop-b", ["submit"]), ("risk-c", ["query"])]
    }


@pytest.fixture
def rotated(client, app, db, members, salts):
    """Shop A listed a case under the first salt; then the operator added ``rot-2``."""
    first = salts.current_key_id
    listed = client.post("/v1/entries", json=entry_payload(app, "a1"), headers=members["shop-a"])
    assert listed.status_code == 201
    salt_rotation.add_salt(db.session, salts, "rot-2", actor="cli:op", now=datetime.now(UTC))
    db.session.commit()
    return first, listed.get_json()["ref"]


def lookup(client, headers, identifiers):
    response = client.post(
        "/v1/lookups",
        json={"purpose": "complaint_intake", "reference": "CMP-1", "identifiers": identifiers},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def rekey(client, headers, entries):
    return client.post("/v1/entries:rekey", json={"entries": entries}, headers=headers)


def test_members_are_served_every_accepted_salt_current_first(client, app, members, rotated):
    first, _ = rotated
    body = client.get("/v1/salts", headers=members["risk-c"]).get_json()
    assert body["current_key_id"] == "rot-2"
    assert [(s["key_id"], s["status"], s["current"]) for s in body["salts"]] == [
        ("rot-2", "current", True),
        (first, "accepted", False),
    ]


def test_one_identifier_under_every_salt_is_one_result_and_one_strike(client, app, members, rotated):
    first, ref = rotated
    alone = lookup(client, members["risk-c"], [{**h, "subject": "c"} for h in hashed_under(app, first, "phone", PHONE)])
    both = lookup(client, members["risk-c"], [{**h, "subject": "c"} for h in hashed_all(app, "phone", PHONE)])
    [result] = both["identifiers"]
    assert result["matched"] and [m["ref"] for m in result["matches"]] == [ref] and both["hits"] == 1
    assert result["confidence"] == pytest.approx(alone["identifiers"][0]["confidence"])
    [subject] = both["subjects"]
    assert subject["identifiers"] == 1 and subject["matched_entries"] == 1
    action = alone["subjects"][0]["recommended_action"]
    assert subject["recommended_action"]["rule"] == action["rule"] and subject["recommended_action"]["strikes"] == 1

    # once re-keyed the entry holds the phone under both salts: still one match, counted once
    entry = {"ref": ref, "identifiers": hashed_all(app, "phone", PHONE) + hashed_all(app, "device", DEVICE)}
    assert rekey(client, members["shop-a"], [entry]).get_json()["rekeyed"] == 1
    again = lookup(client, members["risk-c"], [{**h, "subject": "c"} for h in hashed_all(app, "phone", PHONE)])
    assert again["identifiers"][0]["factors"]["counted_entries"] == 1
    assert again["subjects"][0]["matched_entries"] == 1
    assert again["identifiers"][0]["confidence"] == pytest.approx(result["confidence"])


def test_hashing_by_hand_with_the_new_salt_finds_an_old_listing_once_it_is_rekeyed(client, app, members, rotated):
    _, ref = rotated
    by_hand = hashed_under(app, "rot-2", "phone", PHONE)
    assert lookup(client, members["risk-c"], by_hand)["hits"] == 0  # the window re-keying closes
    response = rekey(client, members["shop-a"], [{"ref": ref, "identifiers": hashed_all(app, "phone", PHONE)}])
    assert response.status_code == 200
    assert response.get_json()["results"] == [
        {"index": 0, "ref": ref, "status": "rekeyed", "added": 1, "unmatched": []}
    ]
    assert lookup(client, members["risk-c"], by_hand)["identifiers"][0]["matches"][0]["ref"] == ref
    entry = client.get(f"/v1/entries/{ref}", headers=members["shop-a"]).get_json()
    assert [i["key_ids"] for i in entry["identifiers"]] == [[rotated[0], "rot-2"], [rotated[0]]]


def test_rekeying_reveals_nothing_of_other_members_entries(client, app, members, rotated):
    _, ref = rotated
    body = rekey(client, members["shop-b"], [{"ref": ref, "identifiers": hashed_all(app, "phone", PHONE)}]).get_json()
    assert body == {
        "rekeyed": 0,
        "results": [{"index": 0, "ref": ref, "status": "not_found", "added": 0, "unmatched": []}],
    }
    unknown = [{"type": "phone", "hashes": [{"key_id": "nope", "hash": "ab" * 32}]}]
    refused = rekey(client, members["shop-a"], [{"ref": ref, "identifiers": unknown}])
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["pointer"] == "/entries/0/identifiers/0/hashes/0/key_id"
    assert rekey(client, members["risk-c"], [{"ref": ref, "identifiers": unknown}]).status_code == 403


def test_a_hash_under_a_salt_no_longer_accepted_is_skipped_if_another_is_usable(client, app, members, rotated):
    phone = hashed_all(app, "phone", PHONE)[0]
    stale = {**phone, "hashes": [*phone["hashes"], {"key_id": "gone", "hash": "cd" * 32}]}
    assert lookup(client, members["risk-c"], [stale])["hits"] == 1
    only_stale = {"type": "phone", "hashes": [{"key_id": "gone", "hash": "cd" * 32}]}
    refused = client.post(
        "/v1/lookups",
        json={"purpose": "complaint_intake", "reference": "CMP-1", "identifiers": [only_stale]},
        headers=members["risk-c"],
    )
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["pointer"] == "/identifiers/0/hashes"


def test_the_quota_counts_identifiers_not_hashes(client, app, db, members, rotated):
    db.session.get(Member, "risk-c").daily_lookup_quota = 10
    db.session.commit()
    lookup(client, members["risk-c"], hashed_all(app, "phone", PHONE) + hashed_all(app, "ip", "8.8.8.8"))
    me = client.get("/v1/members/me", headers=members["risk-c"]).get_json()
    assert me["lookup_budget"]["used_today"] == 3  # phone, ip, ip_net: each under two salts


def test_a_listing_under_every_salt_and_its_resend_after_rotation(client, app, members, rotated):
    first, _ = rotated
    payload = entry_payload(app, "a2", identifiers=hashed_all(app, "phone", "13900139000"))
    created = client.post("/v1/entries", json=payload, headers=members["shop-a"])
    assert created.status_code == 201
    assert created.get_json()["identifiers"] == [{"type": "phone", "key_id": "rot-2", "key_ids": ["rot-2", first]}]
    for key_id in (first, "rot-2"):  # a member hashing by hand with either salt finds it
        assert lookup(client, members["risk-c"], hashed_under(app, key_id, "phone", "13900139000"))["hits"] == 1
    # the case listed before the rotation, sent again hashed under both salts: the same case, not a conflict
    resent = client.post(
        "/v1/entries",
        json=entry_payload(app, "a1", identifiers=hashed_all(app, "phone", PHONE) + hashed_all(app, "device", DEVICE)),
        headers=members["shop-a"],
    )
    assert resent.status_code == 200 and resent.get_json()["ref"] == rotated[1]


@pytest.mark.parametrize(
    ("identifier", "pointer"),
    [
        ({"type": "phone", "hash": "ab" * 32}, "/identifiers/0/key_id"),
        ({"type": "phone", "hashes": []}, "/identifiers/0/hashes"),
        (
            {"type": "phone", "hash": "ab" * 32, "key_id": "k", "hashes": [{"key_id": "k", "hash": "ab" * 32}]},
            "/identifiers/0/hashes",
        ),
    ],
)
def test_an_identifier_has_one_shape(client, app, members, identifier, pointer):
    payload = entry_payload(app, "x1", identifiers=[identifier])
    response = client.post("/v1/entries", json=payload, headers=members["shop-a"])
    assert response.status_code == 422 and pointer in [e["pointer"] for e in response.get_json()["errors"]]
