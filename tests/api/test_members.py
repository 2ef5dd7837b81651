"""Member administration and self-service key management over the API."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization

from federation.events.service import history
from federation.members.models import ROLES
from federation_client.keys import generate_key, public_jwk
from tests.conftest import Identity


def test_admin_admits_and_activates_a_member_and_events_are_recorded(client, auth, make_member, db):
    headers = auth.headers(make_member("root", roles=["admin"]))
    created = client.post(
        "/v1/members", json={"id": "shop-88", "display_name": "Shop 88", "roles": ["query"]}, headers=headers
    )
    assert created.status_code == 201
    assert created.get_json()["status"] == "pending"
    activated = client.post("/v1/members/shop-88/activate", json={}, headers=headers)
    assert activated.get_json()["status"] == "active"
    assert [e.tag for e in history(db.session, "member:shop-88")] == ["member:added", "member:activated"]
    assert [e.actor for e in history(db.session, "member:shop-88")] == ["root", "root"]
    listed = client.get("/v1/members", headers=headers).get_json()
    assert {m["id"] for m in listed} == {"root", "shop-88"}


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"id": "Bad_Id", "display_name": "x", "roles": ["query"]}, "/id"),
        ({"id": "ok", "display_name": "x", "roles": ["superuser"]}, "/roles/0"),
        ({"id": "ok", "display_name": "x", "roles": ["query"], "trust_weight": 1.5}, "/trust_weight"),
        ({"display_name": "x", "roles": ["query"]}, "/id"),
    ],
)
def test_invalid_members_are_refused_field_by_field(client, auth, make_member, db, body, pointer):
    headers = auth.headers(make_member("root", roles=["admin"]))
    response = client.post("/v1/members", json=body, headers=headers)
    assert response.status_code == 422
    assert pointer in [error["pointer"] for error in response.get_json()["errors"]]
    assert [m["id"] for m in client.get("/v1/members", headers=headers).get_json()] == ["root"]


def test_duplicate_member_is_a_409(client, auth, make_member):
    headers = auth.headers(make_member("root", roles=["admin"]))
    response = client.post("/v1/members", json={"id": "root", "display_name": "again", "roles": []}, headers=headers)
    assert response.status_code == 409 and response.get_json()["code"] == "member_exists"


@pytest.mark.parametrize("form", ["jwk", "pem"])
def test_member_rotates_its_own_key(client, auth, make_member, form):
    acme = make_member("acme")
    headers = auth.headers(acme)
    new_key = generate_key("ES256")
    public = (
        public_jwk(new_key)
        if form == "jwk"
        else new_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    added = client.post("/v1/members/acme/keys", json={"public_key": public, "kid": "2026-rotation"}, headers=headers)
    assert added.status_code == 201
    assert added.get_json()["alg"] == "ES256" and added.get_json()["kid"] == "2026-rotation"
    assert client.post(f"/v1/members/acme/keys/{acme.kid}/revoke", headers=headers).status_code == 200
    refused = client.get("/v1/members/acme/keys", headers=headers)  # the token was bought with the revoked key
    assert refused.status_code == 401 and refused.get_json()["code"] == "key_revoked"
    headers = auth.headers(Identity("acme", new_key, "2026-rotation"))
    keys = client.get("/v1/members/acme/keys", headers=headers).get_json()
    assert [(k["kid"], k["active"]) for k in keys] == [(acme.kid, False), ("2026-rotation", True)]


def test_the_last_active_key_cannot_be_revoked_over_the_api(client, auth, make_member):
    acme = make_member("acme")
    response = client.post(f"/v1/members/acme/keys/{acme.kid}/revoke", headers=auth.headers(acme))
    assert response.status_code == 409 and response.get_json()["code"] == "last_key"


def test_the_same_key_cannot_be_registered_twice(client, auth, make_member):
    acme = make_member("acme")
    again = public_jwk(acme.private_key)
    response = client.post(
        "/v1/members/acme/keys", json={"public_key": again, "kid": "other"}, headers=auth.headers(acme)
    )
    assert response.status_code == 409 and response.get_json()["code"] == "key_exists"


@pytest.mark.parametrize("kind", ["private_pem", "private_jwk", "rsa", "p384", "garbage"])
def test_private_and_unsupported_keys_are_refused_and_not_stored(client, auth, make_member, db, kind):
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from jwt.algorithms import OKPAlgorithm

    acme = make_member("acme")
    private = generate_key()
    upload = {
        "private_pem": private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        "private_jwk": json.loads(OKPAlgorithm.to_jwk(private)),
        "rsa": rsa.generate_private_key(65537, 2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
        "p384": ec.generate_private_key(ec.SECP384R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
        "garbage": "not a key at all",
    }[kind]
    headers = auth.headers(acme)
    response = client.post("/v1/members/acme/keys", json={"public_key": upload}, headers=headers)
    assert response.status_code == 422 and response.get_json()["code"] == "invalid_key"
    assert len(client.get("/v1/members/acme/keys", headers=headers).get_json()) == 1


def test_every_v1_endpoint_declares_its_scope_or_is_marked_public(app):
    token_endpoint = {"oauth.issue_token"}  # authenticates by client assertion, not by token
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/v1/") and rule.endpoint not in token_endpoint:
            view = app.view_functions[rule.endpoint]
            declared = hasattr(view, "required_scopes") != getattr(view, "public", False)
            assert declared, f"{rule.rule} must declare a scope or be marked public, not both"


def test_openapi_documents_oauth2_client_credentials_and_the_scopes_each_operation_accepts(client):
    spec = client.get("/openapi.json").get_json()
    scheme = spec["components"]["securitySchemes"]["oauth2"]
    assert scheme["type"] == "oauth2"
    assert scheme["flows"]["clientCredentials"]["tokenUrl"] == "/v1/oauth/token"
    assert set(scheme["flows"]["clientCredentials"]["scopes"]) == set(ROLES)  # every role described
    paths = spec["paths"]
    assert paths["/v1/members"]["get"]["security"] == [{"oauth2": ["admin"]}]
    assert paths["/v1/lookups"]["post"]["security"] == [{"oauth2": ["query"]}]
    # Any one of several scopes will do: one requirement each (scopes inside one requirement are all needed).
    assert paths["/v1/changes"]["get"]["security"] == [{"oauth2": ["query"]}, {"oauth2": ["submit"]}]
    assert paths["/v1/members/{member_id}"]["get"]["security"] == [{"oauth2": []}]  # any active member
    for public in (
        ("/v1/appeals", "post"),
        ("/v1/rules/current", "get"),
        ("/.well-known/jwks.json", "get"),
        ("/healthz", "get"),
        ("/v1/oauth/token", "post"),
    ):
        assert "security" not in paths[public[0]][public[1]], public


def test_openapi_documents_error_answers_as_problem_details(client):
    spec = client.get("/openapi.json").get_json()
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    responses = spec["components"]["responses"]
    submit = spec["paths"]["/v1/entries"]["post"]["responses"]
    assert {"400", "401", "403", "409", "413", "415", "422"} <= set(submit)
    for status in ("400", "401", "403", "409", "413", "415", "422", "default"):
        name = submit[status]["$ref"].rpartition("/")[2]
        assert responses[name]["content"] == problem, status
    assert "429" in spec["paths"]["/v1/appeals"]["post"]["responses"]
    assert "404" in spec["paths"]["/v1/entries/{ref}"]["get"]["responses"]
    assert "401" not in spec["paths"]["/v1/appeals"]["post"]["responses"]  # public: no credentials to refuse
