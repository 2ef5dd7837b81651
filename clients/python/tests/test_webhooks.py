"""Webhook signature verification, offline: the SDK half of the server's signing."""

from __future__ import annotations

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation_client.webhooks import WebhookSignatureError, parse_header, verify

KEY = ed25519.Ed25519PrivateKey.generate()
BODY = json.dumps({"position": 7, "type": "delisted", "entry": "EABC"}).encode()


def header(body: bytes = BODY, *, timestamp: int | None = None, kid: str = "k1", key=KEY) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = key.sign(f"{timestamp}.".encode() + body)
    return f"t={timestamp},kid={kid},ed25519={base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def jwks(key=KEY, kid: str = "k1") -> dict:
    raw = key.public_key().public_bytes_raw()
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid}]}


def test_a_genuine_delivery_verifies_against_a_jwks_or_a_key_mapping():
    assert verify(BODY, header(), jwks())["position"] == 7
    assert verify(BODY, header(), {"k1": KEY.public_key()})["entry"] == "EABC"


@pytest.mark.parametrize(
    ("body", "signed", "message"),
    [
        (BODY + b" ", header(), "Bad signature"),
        (BODY, header(kid="k2"), "Unknown signing key"),
        (BODY, header(key=ed25519.Ed25519PrivateKey.generate()), "Bad signature"),
        (BODY, header(timestamp=int(time.time()) - 301), "too old"),
        (BODY, "t=1,kid=k1", "Malformed"),
        (BODY, "nonsense", "Malformed"),
    ],
)
def test_tampered_foreign_old_or_malformed_deliveries_are_refused(body, signed, message):
    with pytest.raises(WebhookSignatureError, match=message):
        verify(body, signed, jwks())


def test_the_header_names_time_key_and_signature():
    timestamp, kid, signature = parse_header(header(timestamp=1_700_000_000))
    assert (timestamp, kid, len(signature)) == (1_700_000_000, "k1", 64)
