"""No member-facing answer or feed carries a stored or member-supplied identifier hash.

A keyed hash is the identifier to whoever can test hashes (issue 13): an answer that handed a
member the hashes of entries it did not submit would let it rebuild the list offline. This walks
every member-facing read of an entry's life (listing, batch, lookups, usage, the change feed and
its webhooks, disputes for filer, submitter and reviewer, held listings, alerts, members, salts)
and checks that none carries any hash of the listed identifiers, in hex or base64, not even to
the member that submitted them.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from federation.entries.models import EntryIdentifier
from federation.extensions import db as _db
from tests.api.test_changes import dispatch
from tests.api.test_disputes import digest
from tests.api.test_lookups import lookup
from tests.conftest import Receiver
from tests.entries.factories import entry_payload, hashed

PHONE, DEVICE = "13800138000", "35-209900-176148-1"


@pytest.fixture
def parties(client, app, auth, make_member):
    return {
        name: auth.headers(make_member(name, roles=roles))
        for name, roles in [
            ("shop-a", ["submit", "query"]),
            ("risk-c", ["query"]),
            ("fed-review", ["review"]),
            ("fed-admin", ["admin"]),
        ]
    }


def needles(member_hashes: list[str]) -> set[str]:
    """Every spelling of every hash of the listed identifiers: the members' and the stored ones."""
    stored = [row for row in _db.session.scalars(select(EntryIdentifier.stored_hash))]
    raw = [bytes.fromhex(h) for h in member_hashes] + stored
    spelled = set()
    for value in raw:
        spelled |= {
            value.hex(),
            value.hex().upper(),
            base64.b64encode(value).decode().rstrip("="),
            base64.urlsafe_b64encode(value).decode().rstrip("="),
        }
    return spelled


def test_no_answer_or_feed_carries_an_identifier_hash(client, app, parties):
    receivers = {name: Receiver() for name in ("shop-a", "risk-c", "fed-admin")}
    try:
        for name, receiver in receivers.items():
            client.post(f"/v1/members/{name}/webhooks", json={"url": receiver.url}, headers=parties[name])
        identifiers = hashed(app, "phone", PHONE) + hashed(app, "device", DEVICE)
        answers = []

        def seen(response):
            assert response.status_code < 500, response.get_data(as_text=True)
            answers.append(response.get_data(as_text=True))
            return response.get_json()

        listed = seen(client.post("/v1/entries", json=entry_payload(app, "a1"), headers=parties["shop-a"]))
        seen(
            client.post(
                "/v1/entries:batch",
                json={"entries": [entry_payload(app, "a2", phone="13900139000")]},
                headers=parties["shop-a"],
            )
        )
        ref = listed["ref"]
        for who in ("shop-a", "risk-c"):
            seen(lookup(client, parties[who], identifiers))
            seen(client.get("/v1/lookups/stats", headers=parties[who]))
            seen(client.get("/v1/changes", headers=parties[who]))
            seen(client.get("/v1/salts", headers=parties[who]))
            seen(client.get(f"/v1/members/{who}", headers=parties[who]))
            seen(client.get(f"/v1/entries/{ref}", headers=parties[who]))
            seen(client.get("/v1/entries", headers=parties[who]))
        filed = seen(
            client.post(
                f"/v1/entries/{ref}/disputes",
                json={"reason": "The buyer showed us the code was never delivered.", "evidence": [digest("d")]},
                headers=parties["risk-c"],
            )
        )
        for who in ("risk-c", "shop-a", "fed-review"):
            seen(client.get(f"/v1/disputes/{filed['ref']}", headers=parties[who]))
            seen(client.get("/v1/disputes", headers=parties[who]))
        seen(client.get("/v1/review/holds", headers=parties["fed-review"]))
        seen(client.get("/v1/alerts", headers=parties["fed-admin"]))
        seen(client.get("/v1/members", headers=parties["fed-admin"]))
        dispatch(datetime.now(UTC))
        delivered = [body.decode() for receiver in receivers.values() for _, body in receiver.received]
        assert delivered  # the listing and the dispute went out
        everything = "\n".join(answers + delivered)
        found = needles([item["hash"] for item in identifiers])
        assert len(found) >= 16
        assert [needle for needle in found if needle in everything] == []
        assert json.loads(answers[0])["identifiers"] == [
            {"type": "phone", "key_id": identifiers[0]["key_id"], "key_ids": [identifiers[0]["key_id"]]},
            {"type": "device", "key_id": identifiers[1]["key_id"], "key_ids": [identifiers[1]["key_id"]]},
        ]  # types and key ids only
    finally:
        for receiver in receivers.values():
            receiver.server.shutdown()
            receiver.server.server_close()
