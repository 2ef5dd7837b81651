"""Webhook signatures: Ed25519 over ``timestamp "." body``, with the key id in the header.

The signing key is the server's token-signing key, so members verify with the
public keys already published at ``/.well-known/jwks.json``; the timestamp in
the signed bytes lets a receiver refuse replays older than a few minutes.
The verifying half is ``federation_client.webhooks.verify``.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric import ed25519

HEADER = "Federation-Signature"


def signed_bytes(timestamp: int, body: bytes) -> bytes:
    return str(timestamp).encode("ascii") + b"." + body


def signature_header(private_key: ed25519.Ed25519PrivateKey, kid: str, body: bytes, timestamp: int) -> str:
    signature = private_key.sign(signed_bytes(timestamp, body))
    encoded = base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii")
    return f"t={timestamp},kid={kid},ed25519={encoded}"
