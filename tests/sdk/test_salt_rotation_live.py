"""A salt rotation on a running server: an old listing never silently stops matching.

The new salt is written to the salts file from outside, as ``federation salts
add`` in another process does; the running server picks it up without a
restart. Then, through the SDK: the old listing still matches
``check_complainant`` and ``lookup``; a member hashing by hand with the new
salt alone finds it once its submitter re-keyed it; and retiring the old salt
is refused until nothing depends on it.
"""

from __future__ import annotations

import time

import pytest

from federation.identifiers.secrets import RELOAD_INTERVAL, SaltTable, new_salt
from federation.secret_files import write_secret
from federation_client import FederationClient
from federation_client.identifiers import hash_all
from tests.entries.factories import entry_payload

RAW = {"phone": "+86 138-0013-8000", "device": "35-209900-176148-1"}


@pytest.fixture
def engines(live_server, make_member, salts):
    clients = {}
    for name, roles in (("shop-a", ["submit", "query"]), ("risk-c", ["query"])):
        identity = make_member(name, roles=roles)
        # salts_ttl=0: fetch the salt list before each hashing, as a client does once its cache is stale
        clients[name] = FederationClient(
            live_server, identity.member_id, identity.private_key, identity.kid, salts_ttl=0
        )
    yield clients
    for client in clients.values():
        client.close()


def rotate_from_outside(salts, key_id: str) -> None:
    """What ``federation salts add`` does to the file, without telling this process's secrets object."""
    table = salts.table
    write_secret(salts.source, SaltTable(key_id, {**table.salts, key_id: new_salt()}, table.retired).to_document())


def wait_for_current(client: FederationClient, key_id: str) -> list:
    deadline = time.monotonic() + RELOAD_INTERVAL * 5
    while time.monotonic() < deadline:
        served = client.salts()
        if served[0].key_id == key_id:
            return served
        time.sleep(RELOAD_INTERVAL / 4)
    raise AssertionError(f"the running server never served {key_id}")


def test_an_old_listing_keeps_matching_through_a_rotation(engines, app, salts, cli):
    shop, risk = engines["shop-a"], engines["risk-c"]
    old = salts.current_key_id
    identifiers = [h.as_dict() for type_, raw in RAW.items() for h in shop.hash(type_, raw)]
    entry = shop.submit_entry(entry_payload(app, "rot-1", identifiers=identifiers))
    assert risk.check_complainant(RAW, reference="CMP-1").matched_entries == 1

    rotate_from_outside(salts, "rot-2")
    served = wait_for_current(risk, "rot-2")
    assert [(s.key_id, s.status) for s in served] == [("rot-2", "current"), (old, "accepted")]

    verdict = risk.check_complainant(RAW, reference="CMP-1")
    assert verdict.matched_entries == 1 and verdict.recommended_action.action == "warn_and_freeze"
    looked_up = risk.lookup(risk.hash("phone", RAW["phone"]), reference="CMP-1")
    assert [r.matched for r in looked_up.identifiers] == [True]
    assert [key.key_id for key in risk.hash("phone", RAW["phone"])[0].hashes] == ["rot-2", old]

    new_salt_alone = [h.as_dict() for h in hash_all("phone", RAW["phone"], served[0].secret, "rot-2")]
    assert risk.lookup(new_salt_alone, reference="CMP-1").hits == 0  # until the submitter re-keys
    refused = cli("salts", "retire", old, ok=False)
    assert "salt_in_use" in refused and "1 live entries" in refused

    [rekeyed] = shop.rekey_entries({entry.ref: RAW})
    assert (rekeyed.status, rekeyed.added, rekeyed.unmatched) == ("rekeyed", 2, ())
    assert risk.lookup(new_salt_alone, reference="CMP-1").identifiers[0].matches[0]["ref"] == entry.ref
    status = {line.split()[0]: line.split()[1:] for line in cli("salts", "status").splitlines()[1:]}
    assert status == {"rot-2": ["current", "1", "0", "0"], old: ["accepted", "1", "0", "0"]}

    assert f"retired {old}" in cli("salts", "retire", old)
    assert [s.key_id for s in risk.salts()] == ["rot-2"]
    assert risk.check_complainant(RAW, reference="CMP-1").matched_entries == 1
    assert shop.entry(entry.ref).identifier_types == ("phone", "device")
