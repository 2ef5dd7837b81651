"""Listing entries through the SDK: salts fetched, identifiers hashed locally, retries safe."""

from __future__ import annotations

import pytest

from federation_client import FederationClient
from federation_client.errors import BadRequest, Conflict
from tests.entries.factories import entry_payload


@pytest.fixture
def sdk(live_server, make_member):
    identity = make_member("shop-a", roles=["submit", "query"])
    client = FederationClient(live_server, identity.member_id, identity.private_key, identity.kid)
    yield client
    client.close()


def test_salts_match_the_servers_and_local_hashes_are_accepted(sdk, app):
    secrets = app.extensions["federation.identifiers"]
    salts = sdk.salts()
    assert (salts[0].key_id, salts[0].secret) == (secrets.current_key_id, secrets.current_salt)
    payload = entry_payload(app, "sdk-1", identifiers=[h.as_dict() for h in sdk.hash("ip", "::ffff:114.114.114.114")])
    entry = sdk.submit_entry(payload)
    assert entry.identifier_types == ("ip", "ip_net") and entry.state == "active"
    assert sdk.submit_entry(payload).ref == entry.ref  # a retried submission is the same entry
    assert sdk.entry(entry.ref).case_ref == "sdk-1"


def test_batch_listing_paging_and_retraction(sdk, app):
    results = sdk.submit_entries(
        [entry_payload(app, f"b{i}", phone=f"1390013900{i}") for i in range(3)] + [entry_payload(app, "bad", tier=5)]
    )
    assert [r.status for r in results] == ["created", "created", "created", "rejected"]
    assert results[3].errors[0]["pointer"] == "/tier"
    assert [e.case_ref for e in sdk.entries(limit=2)] == ["b2", "b1", "b0"]
    retracted = sdk.retract_entry(results[0].entry.ref, "duplicate of another case")
    assert retracted.state == "retracted"
    assert [e.case_ref for e in sdk.entries(state="retracted")] == ["b0"]


def test_errors_come_back_typed(sdk, app):
    sdk.submit_entry(entry_payload(app, "c1"))
    with pytest.raises(Conflict):
        sdk.submit_entry(entry_payload(app, "c1", tier=2))
    with pytest.raises(BadRequest) as caught:
        sdk.submit_entry(entry_payload(app, "c2", category="rude"))
    assert caught.value.errors[0]["pointer"] == "/category"


def test_a_held_listing_comes_back_held_for_review(sdk, app, db):
    from datetime import UTC, datetime

    from sqlalchemy import select

    from federation.entries import guard
    from federation.entries.models import Entry

    listed = sdk.submit_entry(entry_payload(app, "g1"))
    guard.add_guard(
        db.session, db.session.scalar(select(Entry).where(Entry.ref == listed.ref)), cause="upheld", actor="test",
        now=datetime.now(UTC),
    )  # fmt: skip
    db.session.commit()
    certification = {"certified": True, "statement": "New delivery logs confirm the refund abuse."}
    held = sdk.submit_entry({**entry_payload(app, "g2"), "relisting_certification": certification})
    assert (held.state, held.hold_reason) == ("held", "review") and listed.hold_reason is None
    assert [e.case_ref for e in sdk.entries(state="held")] == ["g2"]
