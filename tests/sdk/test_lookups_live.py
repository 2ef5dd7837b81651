"""A member's risk engine through the SDK: hash locally, look up, act on the recommendation."""

from __future__ import annotations

import pytest

from federation_client import FederationClient
from tests.entries.factories import entry_payload


@pytest.fixture
def engines(live_server, make_member):
    clients = {}
    for name, roles in (("shop-a", ["submit"]), ("risk-c", ["query"])):
        identity = make_member(name, roles=roles)
        clients[name] = FederationClient(live_server, identity.member_id, identity.private_key, identity.kid)
    yield clients
    for client in clients.values():
        client.close()


def test_complaint_intake_through_the_sdk(engines, app):
    engines["shop-a"].submit_entry(entry_payload(app, "a1"))
    verdict = engines["risk-c"].check_complainant({"phone": "+86 138-0013-8000", "ip": "8.8.8.8"}, reference="CMP-1")
    assert verdict.recommended_action.action == "warn_and_freeze"
    assert verdict.recommended_action.freeze_until is not None and verdict.matched_entries == 1
    clean = engines["risk-c"].check_complainant({"phone": "13900139000"}, reference="CMP-2")
    assert (clean.recommended_action.action, clean.confidence) == ("accept", 0.0)


def test_screening_batch_keeps_order_and_marks_misses(engines, app):
    engines["shop-a"].submit_entry(entry_payload(app, "a1"))
    sdk = engines["risk-c"]
    batch = sdk.hash("phone", "13700137000") + sdk.hash("phone", "13800138000")
    result = sdk.lookup(batch, reference="ORD-1", purpose="order_screening")
    assert result.hits == 1 and [r.matched for r in result.identifiers] == [False, True]
    assert result.identifiers[0].recommended_action.action == "accept"
    assert result.identifiers[1].matches[0]["category"] == "refund_after_use"
