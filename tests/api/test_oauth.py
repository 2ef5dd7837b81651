"""The token endpoint and bearer authentication, attacked the ways they get attacked.

Every case is a real request through the app; each must be refused with the
right status and code, and the good path must keep working beside them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from federation_client.keys import generate_key, public_jwk
from tests.conftest import TOKEN_URL, sign_assertion


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# -- the good path --------------------------------------------------------------------------------
@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_assertion_buys_a_15_minute_token_with_the_member_roles(client, auth, make_member, alg):
    acme = make_member("acme", roles=["query", "submit"], alg=alg)
    response = auth.token_response(acme.assertion())
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["scope"] == "query submit"
    assert response.headers["Cache-Control"] == "no-store"
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "EdDSA"
    assert header["kid"] in {key["kid"] for key in client.get("/.well-known/jwks.json").get_json()["keys"]}
    me = client.get("/v1/members/acme", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.get_json()["roles"] == ["query", "submit"]


def test_token_verifies_against_the_published_jwks(client, auth, make_member):
    token = auth.token(make_member("acme"))
    jwks = client.get("/.well-known/jwks.json")
    assert jwks.mimetype == "application/jwk-set+json"
    key = jwt.PyJWKSet.from_dict(jwks.get_json())[jwt.get_unverified_header(token)["kid"]]
    claims = jwt.decode(token, key.key, algorithms=["EdDSA"], audience="federation-api")
    assert claims["sub"] == "acme" and claims["exp"] - claims["iat"] == 900


def test_a_one_hour_assertion_is_accepted_as_standard_clients_send_it(auth, make_member):
    acme = make_member("acme")
    now = int(time.time())
    assert auth.token_response(acme.assertion(iat=now, exp=now + 3600)).status_code == 200


def test_requested_scope_narrows_the_token(client, auth, make_member):
    acme = make_member("acme", roles=["query", "submit"])
    assert auth.token_response(acme.assertion(), scope="query").get_json()["scope"] == "query"
    body = problem(auth.token_response(acme.assertion(), scope="query admin"), 400)
    assert body["error"] == "invalid_scope"


# -- forged and misused assertions ----------------------------------------------------------------
def test_alg_none_is_refused(auth, make_member):
    acme = make_member("acme")
    claims = {"iss": "acme", "sub": "acme", "aud": TOKEN_URL, "exp": int(time.time()) + 300, "jti": "n1"}
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': acme.kid})}.{b64(claims)}."
    body = problem(auth.token_response(unsigned), 401)
    assert body["code"] == "invalid_client" and body["error"] == "invalid_client"


def test_hs256_signed_with_the_public_key_bytes_is_refused(auth, make_member):
    acme = make_member("acme")
    public_pem = acme.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = {"iss": "acme", "sub": "acme", "aud": TOKEN_URL, "exp": int(time.time()) + 300, "jti": "h1"}
    header = b64({"alg": "HS256", "typ": "JWT", "kid": acme.kid})
    payload = b64(claims)
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    forged = f"{header}.{payload}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    assert problem(auth.token_response(forged), 401)["code"] == "invalid_client"


def test_assertion_signed_by_an_unregistered_key_is_refused(auth, make_member):
    acme = make_member("acme")
    stranger_key = generate_key()
    assert problem(auth.token_response(sign_assertion(stranger_key, acme.kid, "acme")), 401)["code"] == "invalid_client"


def test_unknown_kid_is_refused(auth, make_member):
    acme = make_member("acme")
    assert problem(auth.token_response(sign_assertion(acme.private_key, "no-such-kid", "acme")), 401)


def test_unknown_member_gets_the_same_answer_as_a_bad_key(auth, make_member):
    acme = make_member("acme")
    unknown = problem(auth.token_response(sign_assertion(acme.private_key, acme.kid, "nobody")), 401)
    bad_key = problem(auth.token_response(sign_assertion(generate_key(), acme.kid, "acme")), 401)
    assert unknown["detail"] == bad_key["detail"]


def test_wrong_audience_is_refused(auth, make_member):
    acme = make_member("acme")
    body = problem(auth.token_response(acme.assertion(audience="https://other.example/token")), 401)
    assert body["code"] == "invalid_audience" and TOKEN_URL in body["detail"]


def test_expired_assertion_is_refused(auth, make_member):
    acme = make_member("acme")
    now = int(time.time())
    body = problem(auth.token_response(acme.assertion(iat=now - 900, exp=now - 600)), 401)
    assert body["code"] == "assertion_expired"


def test_exp_beyond_sixty_minutes_is_refused(auth, make_member):
    acme = make_member("acme")
    now = int(time.time())
    assert problem(auth.token_response(acme.assertion(exp=now + 7200)), 401)["code"] == "assertion_lifetime"


def test_iat_far_in_the_future_is_refused(auth, make_member):
    acme = make_member("acme")
    now = int(time.time())
    body = problem(auth.token_response(acme.assertion(iat=now + 3000, exp=now + 3300)), 401)
    assert body["code"] == "assertion_not_yet_valid"


@pytest.mark.parametrize("missing", ["jti", "exp", "sub"])
def test_assertions_missing_required_claims_are_refused(auth, make_member, missing):
    acme = make_member("acme")
    assert problem(auth.token_response(acme.assertion(**{missing: None})), 401)["code"] == "invalid_client"


def test_replayed_jti_is_refused(auth, make_member):
    acme = make_member("acme")
    assertion = acme.assertion()
    assert auth.token_response(assertion).status_code == 200
    assert problem(auth.token_response(assertion), 401)["code"] == "assertion_replayed"


def test_failed_attempts_do_not_spend_the_jti(auth, make_member):
    acme = make_member("acme", roles=["query"])
    assertion = acme.assertion()
    assert auth.token_response(assertion, scope="admin").status_code == 400
    assert auth.token_response(assertion).status_code == 200


def test_revoked_key_is_refused(client, auth, make_member):
    admin = make_member("root", roles=["admin"])
    acme = make_member("acme")
    headers = auth.headers(admin)
    second = generate_key()
    added = client.post("/v1/members/acme/keys", json={"public_key": public_jwk(second)}, headers=headers)
    assert added.status_code == 201
    revoked = client.post(f"/v1/members/acme/keys/{acme.kid}/revoke", headers=headers)
    assert revoked.status_code == 200 and revoked.get_json()["active"] is False
    assert problem(auth.token_response(acme.assertion()), 401)["code"] == "invalid_client"
    assert auth.token_response(sign_assertion(second, added.get_json()["kid"], "acme")).status_code == 200


def test_a_token_obtained_with_a_revoked_key_stops_working(client, auth, make_member):
    """Revoking a member's key (a stolen private key) also ends the tokens it already bought."""
    admin = make_member("root", roles=["admin"])
    acme = make_member("acme")
    admin_headers = auth.headers(admin)
    stolen = auth.headers(acme)
    second = generate_key()
    added = client.post("/v1/members/acme/keys", json={"public_key": public_jwk(second)}, headers=admin_headers)
    bought = auth.token_response(sign_assertion(second, added.get_json()["kid"], "acme")).get_json()
    fresh = {"Authorization": f"Bearer {bought['access_token']}"}
    assert client.get("/v1/members/acme", headers=stolen).status_code == 200  # verified and cached
    assert client.post(f"/v1/members/acme/keys/{acme.kid}/revoke", headers=admin_headers).status_code == 200
    refused = client.get("/v1/members/acme", headers=stolen)
    assert problem(refused, 401)["code"] == "key_revoked"
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert client.get("/v1/members/acme", headers=fresh).status_code == 200  # the other key's token lives on


def test_retiring_a_signing_key_ends_the_tokens_it_signed_without_a_restart(client, app, auth, make_member, cli):
    """``signing-keys rotate`` then ``retire``: a compromised server key stops verifying in running workers."""
    acme = make_member("acme")
    old = auth.headers(acme)
    assert client.get("/v1/members/acme", headers=old).status_code == 200  # verified and cached
    cli("signing-keys", "rotate")
    assert client.get("/v1/members/acme", headers=old).status_code == 200  # the old key still verifies
    new = auth.headers(acme)
    kids = {key["kid"] for key in client.get("/.well-known/jwks.json").get_json()["keys"]}
    assert len(kids) == 2
    cli("signing-keys", "retire")
    assert problem(client.get("/v1/members/acme", headers=old), 401)["code"] == "invalid_token"
    assert client.get("/v1/members/acme", headers=new).status_code == 200
    assert len(client.get("/.well-known/jwks.json").get_json()["keys"]) == 1


def test_a_key_retired_by_another_process_ends_cached_tokens_at_their_next_use(client, app, auth, make_member):
    """Between the retirement and the check only the cached token is used: no token request, no CLI in-process."""
    from federation.members import signing

    acme = make_member("acme")
    cached = auth.headers(acme)
    assert client.get("/v1/members/acme", headers=cached).status_code == 200  # verified and cached now
    path = app.extensions["federation.auth"].key_set_path
    signing.rotate(path)  # `federation signing-keys rotate`, then `retire`, in another process
    signing.rotate(path, retire=True)
    assert problem(client.get("/v1/members/acme", headers=cached), 401)["code"] == "invalid_token"


def test_pending_member_cannot_get_a_token(auth, make_member):
    newcomer = make_member("newcomer", status="pending")
    body = problem(auth.token_response(newcomer.assertion()), 403)
    assert body["code"] == "member_pending" and body["error"] == "unauthorized_client"


def test_suspended_member_is_refused_at_once_even_with_a_live_token(client, auth, make_member):
    admin = make_member("root", roles=["admin"])
    acme = make_member("acme")
    acme_headers = auth.headers(acme)
    assert client.get("/v1/members/acme", headers=acme_headers).status_code == 200
    suspended = client.post("/v1/members/acme/suspend", json={"reason": "abuse"}, headers=auth.headers(admin))
    assert suspended.status_code == 200 and suspended.get_json()["status"] == "suspended"
    assert problem(client.get("/v1/members/acme", headers=acme_headers), 403)["code"] == "member_suspended"
    assert problem(auth.token_response(acme.assertion()), 403)["code"] == "member_suspended"


def test_token_request_must_be_form_encoded(client, make_member):
    acme = make_member("acme")
    response = client.post(
        "/v1/oauth/token", json={"grant_type": "client_credentials", "client_assertion": acme.assertion()}
    )
    assert problem(response, 415)["error"] == "invalid_request"


def test_other_grant_types_are_refused(auth, make_member):
    acme = make_member("acme")
    body = problem(auth.token_response(acme.assertion(), grant_type="password"), 400)
    assert body["error"] == "unsupported_grant_type"


# -- access tokens ----------------------------------------------------------------------------------
def test_no_token_is_a_401_with_www_authenticate(client, db):
    response = client.get("/v1/members/acme")
    assert problem(response, 401)["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_tampered_access_token_payload_is_refused(client, auth, make_member):
    make_member("acme", roles=["query"])
    token = auth.token(make_member("mallory", roles=["query"]))
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"], claims["scope"] = "acme", "query admin"
    forged = f"{header}.{b64(claims)}.{signature}"
    response = client.get("/v1/members/acme", headers={"Authorization": f"Bearer {forged}"})
    assert problem(response, 401)["code"] == "invalid_token"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_token_signed_by_another_server_is_refused(client, db):
    foreign = jwt.encode(
        {
            "sub": "acme",
            "aud": "federation-api",
            "iss": "blacklist-federation",
            "scope": "admin",
            "exp": int(time.time()) + 600,
            "iat": int(time.time()),
            "jti": "x",
        },
        generate_key(),
        algorithm="EdDSA",
        headers={"kid": "foreign"},
    )
    response = client.get("/v1/members/acme", headers={"Authorization": f"Bearer {foreign}"})
    assert problem(response, 401)["code"] == "invalid_token"


def test_wrong_scope_is_a_403_distinct_from_401(client, auth, make_member):
    acme = make_member("acme", roles=["query"])
    response = client.get("/v1/members", headers=auth.headers(acme))
    assert problem(response, 403)["code"] == "insufficient_scope"
    assert 'scope="admin"' in response.headers["WWW-Authenticate"]


def test_member_a_cannot_act_on_member_b_resources(client, auth, make_member):
    make_member("bravo")
    alpha_headers = auth.headers(make_member("alpha", roles=["query", "submit"]))
    for method, path, body in [
        ("get", "/v1/members/bravo", None),
        ("get", "/v1/members/bravo/keys", None),
        ("post", "/v1/members/bravo/keys", {"public_key": {"kty": "OKP", "crv": "Ed25519", "x": "AA"}}),
        ("post", "/v1/members/bravo/keys/any/revoke", None),
    ]:
        response = getattr(client, method)(path, json=body, headers=alpha_headers)
        assert problem(response, 403)["code"] == "not_your_resource", path


def test_a_removed_role_stops_working_before_the_token_expires(client, auth, make_member, db):
    from federation.members.models import Member

    root = make_member("root", roles=["admin", "query"])
    headers = auth.headers(root)
    assert client.get("/v1/members", headers=headers).status_code == 200
    db.session.get(Member, "root").roles = "query"
    db.session.commit()
    assert problem(client.get("/v1/members", headers=headers), 403)["code"] == "insufficient_scope"


def test_redis_down_is_a_503_with_retry_after_not_a_500(make_database_url, tmp_path):
    """The replay store unreachable: the token endpoint says "retry shortly", and logs no traceback."""
    import socket

    from flask_migrate import upgrade

    from federation.extensions import db as _db
    from tests.conftest import Auth, build_app, create_member

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    app = build_app(make_database_url("sqlite"), str(tmp_path), REDIS_URL=f"redis://127.0.0.1:{closed}/0")
    with app.app_context():
        upgrade()
        acme = create_member(_db.session, "acme")
        response = Auth(app.test_client()).token_response(acme.assertion())
    body = problem(response, 503)
    assert body["code"] == "service_unavailable" and response.headers["Retry-After"] == "3"
