"""A member registers its identity-theft victim through the SDK; lookups then recommend review at most."""

from __future__ import annotations

import pytest

from federation_client import FederationClient
from tests.entries.factories import entry_payload


@pytest.fixture
def engines(live_server, make_member):
    clients = {}
    for name, roles in (("shop-a", ["submit"]), ("shop-v", ["submit"]), ("risk-c", ["query"])):
        identity = make_member(name, roles=roles)
        clients[name] = FederationClient(live_server, identity.member_id, identity.private_key, identity.kid)
    yield clients
    for client in clients.values():
        client.close()


def test_a_victims_registration_through_the_sdk(engines, app):
    engines["shop-a"].submit_entry(entry_payload(app, "a1"))
    assert engines["risk-c"].check_complainant(
        {"phone": "138 0013 8000"}, reference="CMP-7"
    ).recommended_action.action == ("warn_and_freeze")
    registration = engines["shop-v"].register_protection(
        "victim-1", {"phone": "+86 138-0013-8000", "ip": "8.8.8.8"}, reason="identity_theft", evidence=["d" * 64]
    )
    assert (registration.status, registration.types, registration.confirmed) == ("active", ("ip", "phone"), False)
    verdict = engines["risk-c"].check_complainant({"phone": "138 0013 8000"}, reference="CMP-7")
    assert verdict.protective_registration is True
    assert (verdict.recommended_action.action, verdict.recommended_action.rule) == ("review", "protective_registration")
    engines["shop-v"].withdraw_protection(registration.ref, "registered by mistake")
    assert [r.status for r in engines["shop-v"].protective_registrations()] == ["withdrawn"]
    assert engines["risk-c"].check_complainant(
        {"phone": "138 0013 8000"}, reference="CMP-7"
    ).recommended_action.action == ("warn_and_freeze")
