"""The SDK against the real server on a real socket: tokens, errors, key rotation."""

from __future__ import annotations

import pytest

from federation.members.models import SpentAssertion
from federation.members.signing import SigningKeySet, new_signing_key
from federation_client import FederationClient
from federation_client.errors import AuthenticationFailed, NotFound, PermissionDenied
from federation_client.keys import generate_key, public_jwk


@pytest.fixture
def connect(live_server):
    clients: list[FederationClient] = []

    def make(identity, **options) -> FederationClient:
        client = FederationClient(live_server, identity.member_id, identity.private_key, identity.kid, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def token_requests(db) -> int:
    db.session.rollback()
    return db.session.query(SpentAssertion).count()


def test_first_call_fetches_a_token_and_later_calls_reuse_it(connect, make_member, db):
    client = connect(make_member("acme", roles=["query", "submit"]))
    member = client.member()
    assert (member.id, member.status, member.roles) == ("acme", "active", ("query", "submit"))
    assert member.standing["effective_trust"] == 1.0 and member.standing["probation"]["on_probation"] is False
    assert client.keys()[0].active
    client.member()
    assert token_requests(db) == 1


def test_typed_errors_carry_the_problem(connect, make_member):
    make_member("bravo")
    client = connect(make_member("alpha"))
    with pytest.raises(PermissionDenied) as denied:
        client.member("bravo")
    assert denied.value.code == "not_your_resource" and denied.value.problem["status"] == 403
    root = connect(make_member("root", roles=["admin"]))
    with pytest.raises(NotFound):
        root.member("nobody")


def test_rotation_through_the_sdk(connect, make_member):
    identity = make_member("acme")
    client = connect(identity)
    new_key = generate_key()
    added = client.register_key(public_jwk(new_key, kid="acme-2"))
    assert added.kid == "acme-2"
    client.revoke_key(identity.kid)
    rotated = connect(type(identity)("acme", new_key, "acme-2"))
    assert [key.kid for key in rotated.keys() if key.active] == ["acme-2"]
    with pytest.raises(AuthenticationFailed):
        connect(identity).member()


def test_client_renews_its_token_when_the_server_stops_accepting_it(connect, make_member, app, db):
    client = connect(make_member("acme"))
    client.member()
    state = app.extensions["federation.auth"]
    original = state.key_set
    state.key_set, state.cache = SigningKeySet([new_signing_key()]), type(state.cache)()
    try:
        assert client.member().id == "acme"  # 401 on the old token, renewed once, retried
    finally:
        state.key_set = original
    assert token_requests(db) == 2


def test_suspension_reaches_the_sdk_as_permission_denied(connect, make_member, auth, client):
    sdk = connect(make_member("acme"))
    sdk.member()
    client.post("/v1/members/acme/suspend", json={}, headers=auth.headers(make_member("root", roles=["admin"])))
    with pytest.raises(PermissionDenied) as denied:
        sdk.member()
    assert denied.value.code == "member_suspended"
