"""A standard OAuth client (authlib's private_key_jwt, its defaults) gets tokens from us."""

from __future__ import annotations

import warnings

import pytest
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from cryptography.hazmat.primitives import serialization
from joserfc.jwk import ECKey, OKPKey


@pytest.mark.parametrize(("key_alg", "jws_alg"), [("EdDSA", "Ed25519"), ("EdDSA", "EdDSA"), ("ES256", "ES256")])
def test_authlib_private_key_jwt_client_credentials(live_server, make_member, key_alg, jws_alg):
    acme = make_member("acme", roles=["query"], alg=key_alg)
    pem = acme.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key = (OKPKey if key_alg == "EdDSA" else ECKey).import_key(pem)  # a bare PEM would be read as RSA
    token_url = f"{live_server}/v1/oauth/token"
    session = OAuth2Session(
        client_id="acme",
        client_secret=key,
        token_endpoint_auth_method=PrivateKeyJWT(token_url, alg=jws_alg, headers={"kid": acme.kid}),
    )
    with warnings.catch_warnings():
        # joserfc warns that "EdDSA" is deprecated (RFC 9864); clients still send it, so we accept it.
        warnings.filterwarnings("ignore", message="EdDSA is deprecated")
        token = session.fetch_token(token_url, grant_type="client_credentials")
    assert token["token_type"] == "Bearer" and token["scope"] == "query"
    response = session.get(f"{live_server}/v1/members/acme")
    assert response.status_code == 200 and response.json()["id"] == "acme"
    session.close()
