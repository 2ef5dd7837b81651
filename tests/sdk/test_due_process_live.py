"""Disputes and the change feed through the SDK, over a real socket."""

from __future__ import annotations

import pytest

from federation_client import FederationClient
from tests.entries.factories import entry_payload


@pytest.fixture
def members(live_server, make_member):
    clients = {}
    for name, roles in (("shop-a", ["submit", "query"]), ("risk-c", ["query"])):
        identity = make_member(name, roles=roles)
        clients[name] = FederationClient(live_server, identity.member_id, identity.private_key, identity.kid)
    yield clients
    for client in clients.values():
        client.close()


def test_a_dispute_answered_by_retraction_reaches_the_feed(members, app):
    entry = members["shop-a"].submit_entry(entry_payload(app, "a1"))
    dispute = members["risk-c"].dispute(entry.ref, "The buyer's redemption record shows a failed code.")
    assert dispute.state == "awaiting_answer" and dispute.respond_by is not None
    [mine] = members["shop-a"].disputes("submitter", open_only=True)
    assert mine.ref == dispute.ref
    answered = members["shop-a"].answer_dispute(dispute.ref, "retract", note="Our mistake.")
    assert (answered.state, answered.outcome, answered.decided_by_role) == ("closed", "retracted", "submitter")
    assert members["risk-c"].disputes("filer")[0].decided_by_role == "submitter"
    changes = list(members["risk-c"].changes(limit=1))  # one per page: the cursor is followed
    assert [(c.position, c.type, c.entry) for c in changes] == [(1, "listed", entry.ref), (3, "retracted", entry.ref)]
    told = [c for c in members["shop-a"].changes() if c.type == "dispute_opened"]  # position 2: for shop-a only
    assert [(c.position, c.entry, c.data["dispute"]) for c in told] == [(2, entry.ref, dispute.ref)]
    assert list(members["risk-c"].changes(after=changes[-1].position)) == []
