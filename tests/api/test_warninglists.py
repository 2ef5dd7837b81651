"""Warninglists over the API, on both backends: import, refuse, down-weight, explain, rotate, remove."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json

import pytest
from sqlalchemy import func, select

from federation.entries.models import Entry, EntryIdentifier
from federation.events.models import Event
from federation.warninglists import EXTENSION
from federation.warninglists.misp import Limits
from federation.warninglists.models import WarninglistHash
from federation.warninglists.service import DEFAULT_LISTS
from tests.entries.factories import entry_payload, hashed

TEST_NUMBERS = json.loads((DEFAULT_LISTS / "cn-test-phone-numbers.json").read_text("utf-8"))
REAL_PHONE = "13700137000"


def by_hand(type_: str, canonical: str, salt_hex: str, key_id: str) -> dict[str, str]:
    """A member hashing without the SDK (and its checks): bf1 HMAC over the canonical value."""
    message = b"\x00".join((b"bf1", type_.encode(), canonical.encode()))
    return {
        "type": type_,
        "key_id": key_id,
        "hash": hmac.new(bytes.fromhex(salt_hex), message, hashlib.sha256).hexdigest(),
    }


def served_salt(client, headers) -> tuple[str, str]:
    [salt] = [s for s in client.get("/v1/salts", headers=headers).get_json()["salts"] if s["current"]]
    return salt["salt_hex"], salt["key_id"]


def downweight_list(name: str = "Shared office numbers", weight: float = 0.2, values=(REAL_PHONE,)) -> dict:
    return {
        "name": name,
        "version": 3,
        "description": "numbers shared by a call centre",
        "type": "string",
        "matching_attributes": ["phone-number"],
        "list": list(values),
        "federation_action": "downweight",
        "federation_weight": weight,
    }


@pytest.fixture
def members(make_member, auth) -> dict[str, dict[str, str]]:
    return {
        name: auth.headers(make_member(name, roles=roles))
        for name, roles in [("ops", ["admin"]), ("shop-a", ["submit", "query"]), ("risk-c", ["query"])]
    }


def import_list(client, headers, document, status=201):
    response = client.post("/v1/warninglists", json=document, headers=headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def count(db, model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def lookup(client, headers, identifiers):
    response = client.post(
        "/v1/lookups",
        json={"purpose": "complaint_intake", "reference": "CMP-1", "identifiers": identifiers},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_hand_hashed_test_number_is_refused_naming_the_list(client, app, db, members):
    imported = import_list(client, members["ops"], TEST_NUMBERS)
    # each number in E.164 and as a member hashing by hand might write it (national, with country code)
    assert imported["created"] and imported["warninglist"]["hashed_values"] == 3 * len(TEST_NUMBERS["list"])
    assert "list" not in imported["warninglist"]  # the server keeps no values
    salt_hex, key_id = served_salt(client, members["shop-a"])
    payload = entry_payload(app, "t1", phone="13912345600")
    payload["identifiers"][0] = by_hand("phone", "+8613800138000", salt_hex, key_id)

    response = client.post("/v1/entries", json=payload, headers=members["shop-a"])
    assert response.status_code == 422
    problem = response.get_json()
    assert response.content_type == "application/problem+json"
    assert problem["code"] == "warninglisted" and TEST_NUMBERS["name"] in problem["detail"]
    assert [(e["pointer"], e["code"]) for e in problem["errors"]] == [("/identifiers/0", "warninglisted")]
    assert TEST_NUMBERS["name"] in problem["errors"][0]["detail"]
    assert count(db, Entry) == 0

    batch = client.post("/v1/entries:batch", json={"entries": [payload]}, headers=members["shop-a"]).get_json()
    assert batch["results"][0]["status"] == "rejected" and batch["results"][0]["code"] == "warninglisted"
    assert count(db, Entry) == 0


def test_a_downweight_list_lowers_an_existing_match_and_the_lookup_explains_it(client, app, db, members):
    listed = client.post("/v1/entries", json=entry_payload(app, "d1", phone=REAL_PHONE), headers=members["shop-a"])
    assert listed.status_code == 201
    before = lookup(client, members["risk-c"], hashed(app, "phone", REAL_PHONE))["identifiers"][0]
    assert "warninglists" not in before["factors"]

    imported = import_list(client, members["ops"], downweight_list(weight=0.2))
    assert imported["marked_identifiers"] == 1  # the entry listed before the list came
    after = lookup(client, members["risk-c"], hashed(app, "phone", REAL_PHONE))["identifiers"][0]
    assert after["matched"] and 0 < after["confidence"] < before["confidence"]
    assert after["factors"]["warninglists"] == [{"name": "Shared office numbers", "weight": 0.2, "entries": 1}]
    assert after["matches"][0]["weight"] == pytest.approx(before["matches"][0]["weight"] * 0.2, abs=1e-5)

    # Listed after the list: accepted, and marked the same way.
    again = client.post("/v1/entries", json=entry_payload(app, "d2", phone=REAL_PHONE), headers=members["shop-a"])
    assert again.status_code == 201
    marked = db.session.scalars(select(EntryIdentifier).where(EntryIdentifier.warninglist_id.is_not(None))).all()
    assert len(marked) == 2 and {row.type for row in marked} == {"phone"}

    # Disabled, it weighs nothing; enabled again, it applies again; removed, the marks go.
    list_id = imported["warninglist"]["id"]
    assert client.post(f"/v1/warninglists/{list_id}/disable", headers=members["ops"]).get_json()["enabled"] is False
    assert (
        "warninglists"
        not in lookup(client, members["risk-c"], hashed(app, "phone", REAL_PHONE))["identifiers"][0]["factors"]
    )
    assert client.post(f"/v1/warninglists/{list_id}/enable", headers=members["ops"]).get_json()["enabled"] is True
    assert client.delete(f"/v1/warninglists/{list_id}", headers=members["ops"]).status_code == 204
    assert count(db, WarninglistHash) == 0
    assert db.session.scalar(select(func.count()).where(EntryIdentifier.warninglist_id.is_not(None))) == 0
    tags = [e.tag for e in db.session.scalars(select(Event).where(Event.tag.like("warninglist:%")).order_by(Event.id))]
    assert tags == ["warninglist:imported", "warninglist:disabled", "warninglist:enabled", "warninglist:removed"]


def test_a_refuse_list_imported_after_a_listing_weighs_it_zero_and_subjects_explain_it(client, app, members):
    client.post("/v1/entries", json=entry_payload(app, "r1", phone=REAL_PHONE), headers=members["shop-a"])
    document = {**downweight_list(name="Call-centre trunk"), "federation_action": "refuse"}
    del document["federation_weight"]
    assert import_list(client, members["ops"], document)["marked_identifiers"] == 1

    query = [{**h, "subject": "c"} for h in hashed(app, "phone", REAL_PHONE)]
    body = lookup(client, members["risk-c"], query)
    assert body["identifiers"][0]["confidence"] == 0.0
    assert body["identifiers"][0]["recommended_action"]["action"] == "accept"
    assert body["subjects"][0]["factors"]["warninglists"] == [
        {"name": "Call-centre trunk", "weight": 0.0, "entries": 1}
    ]
    # The entry's device still matches in full: only the listed identifier weighs nothing.
    device = lookup(client, members["risk-c"], hashed(app, "device", "35-209900-176148-1"))["identifiers"][0]
    assert device["confidence"] > 0 and "warninglists" not in device["factors"]


def test_networks_and_role_mailboxes_are_refused_when_hashed_by_hand(client, app, members):
    import_list(client, members["ops"], {"name": "doc", "type": "cidr", "list": ["203.0.113.0/24"]})
    import_list(
        client,
        members["ops"],
        {"name": "roles", "type": "hostname", "list": ["example.com"], "federation_local_parts": ["admin"]},
    )
    salt_hex, key_id = served_salt(client, members["shop-a"])
    for index, (type_, canonical) in enumerate(
        [("ip", "203.0.113.7"), ("ip_net", "203.0.113.0/24"), ("email", "admin@example.com")]
    ):
        payload = entry_payload(app, f"n{index}")
        payload["identifiers"].append(by_hand(type_, canonical, salt_hex, key_id))
        problem = client.post("/v1/entries", json=payload, headers=members["shop-a"]).get_json()
        assert problem["code"] == "warninglisted" and problem["errors"][0]["pointer"] == "/identifiers/2", problem


@pytest.mark.parametrize(
    ("document", "pointer"),
    [
        ({"name": "x", "type": "regex", "list": ["^1"]}, "/type"),
        ({"name": "x", "type": "substring", "list": ["138"]}, "/type"),
        ({"name": "x", "type": "string", "list": ["13800138000"]}, "/matching_attributes"),
        ({"name": "x", "type": "string", "matching_attributes": ["md5"], "list": ["a"]}, "/matching_attributes"),
        ({"name": "x", "type": "hostname", "list": ["mailinator.com"]}, "/federation_local_parts"),
        ({"name": "x", "type": "string", "matching_attributes": ["phone-number"], "list": ["not a phone"]}, "/list/0"),
        ({"name": "x", "type": "cidr", "list": ["::/0"]}, "/list/0"),
        ({"name": "x", "list": []}, "/list"),
        ({"type": "cidr", "list": ["10.0.0.0/8"]}, "/name"),
        ({"name": "x", "type": "cidr", "list": ["10.0.0.0/24"], "federation_action": "ban"}, "/federation_action"),
        ({"name": "x", "type": "cidr", "list": ["10.0.0.0/24"], "federation_weight": 2}, "/federation_weight"),
    ],
)
def test_bad_misp_documents_are_422_with_a_pointer(client, db, members, document, pointer):
    response = client.post("/v1/warninglists", json=document, headers=members["ops"])
    assert response.status_code == 422, response.get_json()
    assert pointer in [e["pointer"] for e in response.get_json()["errors"]]
    assert count(db, WarninglistHash) == 0


def test_only_admins_manage_lists_and_unknown_ids_are_404(client, members):
    assert client.get("/v1/warninglists", headers=members["shop-a"]).status_code == 403
    assert client.post("/v1/warninglists", json=TEST_NUMBERS, headers=members["risk-c"]).status_code == 403
    assert client.get("/v1/warninglists/999", headers=members["ops"]).status_code == 404
    imported = import_list(client, members["ops"], TEST_NUMBERS)
    replaced = import_list(client, members["ops"], {**TEST_NUMBERS, "version": 2}, status=200)
    assert replaced["warninglist"]["id"] == imported["warninglist"]["id"] and replaced["warninglist"]["version"] == 2
    [shown] = client.get("/v1/warninglists", headers=members["ops"]).get_json()["warninglists"]
    assert shown["name"] == TEST_NUMBERS["name"] and shown["action"] == "refuse" and shown["enabled"]


def test_cli_imports_lists_and_files_and_removes_them(app, db, cli, members, tmp_path, client, monkeypatch):
    # Smaller expansion limits keep the shipped network list quick to import here (``misp.Limits``).
    settings = app.extensions[EXTENSION]
    monkeypatch.setitem(app.extensions, EXTENSION, dataclasses.replace(settings, limits=Limits(256, 256)))
    path = tmp_path / "list.json"
    path.write_text(json.dumps(downweight_list(weight=0.5)), encoding="utf-8")
    assert "imported 'Shared office numbers' (v3, downweight x0.5): 3 values" in cli(
        "warninglists", "import", str(path)
    )
    path.unlink()  # the operator's own file; the server keeps the document only encrypted
    [shown] = client.get("/v1/warninglists", headers=members["ops"]).get_json()["warninglists"]
    kept = settings.store.folder / f"{shown['sha256']}.json.enc"
    assert settings.store.load(shown["sha256"])["list"] == [REAL_PHONE]
    assert REAL_PHONE.encode() not in kept.read_bytes()
    out = cli("warninglists", "defaults")
    assert "Published test and placeholder phone numbers (CN)" in out and "not hashed" in out  # 2001:db8::/32
    assert "up to date" in cli("warninglists", "defaults")
    listing = cli("warninglists", "list")
    assert "Shared office numbers" in listing and "Shared, private and documentation" in listing
    assert "removed" in cli("warninglists", "remove", "Shared office numbers")
    assert "warninglist_not_found" in cli("warninglists", "remove", "Shared office numbers", ok=False)
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    assert "not a JSON document" in cli("warninglists", "import", str(tmp_path / "bad.json"), ok=False)
    (tmp_path / "regex.json").write_text(json.dumps({"name": "r", "type": "regex", "list": ["x"]}), encoding="utf-8")
    assert "warninglist_invalid" in cli("warninglists", "import", str(tmp_path / "regex.json"), ok=False)
    # The shipped hotline list catches a short service code hashed by hand.
    salt_hex, key_id = served_salt(client, members["shop-a"])
    payload = entry_payload(app, "h1")
    payload["identifiers"][0] = by_hand("phone", "10086", salt_hex, key_id)
    problem = client.post("/v1/entries", json=payload, headers=members["shop-a"]).get_json()
    assert problem["code"] == "warninglisted" and "hotlines" in problem["detail"]


def test_a_salt_rotation_keeps_the_list_effective(client, app, db, cli, members, salts):
    import_list(client, members["ops"], TEST_NUMBERS)
    old = salts.current_key_id
    assert "warninglists hashed under new salts 1" in cli("salts", "add", "--key-id", "wl-2")
    assert f"hashes of retired salts dropped {3 * len(TEST_NUMBERS['list'])}" in cli("salts", "retire", old)
    [shown] = client.get("/v1/warninglists", headers=members["ops"]).get_json()["warninglists"]
    assert shown["key_ids"] == ["wl-2"]

    salt_hex, key_id = served_salt(client, members["shop-a"])
    assert key_id == "wl-2"
    payload = entry_payload(app, "s1")  # hashed through the SDK under the new salt alone
    payload["identifiers"][0] = by_hand("phone", "+8613800138000", salt_hex, key_id)
    assert client.post("/v1/entries", json=payload, headers=members["shop-a"]).get_json()["code"] == "warninglisted"
