"""Verify a webhook from the federation before acting on it.

    from federation_client.webhooks import verify
    change = verify(request.body, request.headers["Federation-Signature"], jwks)

``jwks`` is the server's ``/.well-known/jwks.json`` document (fetch it once and
again when an unknown key id arrives) or a mapping of key id to Ed25519
public key. The signature covers ``timestamp "." body``; a timestamp further
than ``tolerance`` seconds from now is refused, so a captured delivery cannot
be replayed later.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from .errors import FederationClientError

HEADER = "Federation-Signature"


class WebhookSignatureError(FederationClientError):
    """The delivery is not from the federation, was altered, or is too old."""


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _keys(keys: Mapping[str, Any]) -> dict[str, ed25519.Ed25519PublicKey]:
    if "keys" in keys:  # a JWKS document
        return {
            jwk["kid"]: ed25519.Ed25519PublicKey.from_public_bytes(_b64url(jwk["x"]))
            for jwk in keys["keys"]
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519"
        }
    return dict(keys)


def parse_header(header: str) -> tuple[int, str, bytes]:
    try:
        fields = dict(part.strip().split("=", 1) for part in header.split(","))
        return int(fields["t"]), fields["kid"], _b64url(fields["ed25519"])
    except (KeyError, ValueError, binascii.Error):
        raise WebhookSignatureError("Malformed Federation-Signature header.") from None


def verify(
    body: bytes, header: str, keys: Mapping[str, Any], *, tolerance: int = 300, now: float | None = None
) -> dict[str, Any]:
    """The delivered change, once the signature and its age check out; else :class:`WebhookSignatureError`."""
    timestamp, kid, signature = parse_header(header)
    key = _keys(keys).get(kid)
    if key is None:
        raise WebhookSignatureError(f"Unknown signing key {kid}: refresh the federation's JWKS.")
    try:
        key.verify(signature, str(timestamp).encode("ascii") + b"." + body)
    except InvalidSignature:
        raise WebhookSignatureError("Bad signature.") from None
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise WebhookSignatureError("The delivery is too old (or the clocks disagree).")
    return json.loads(body)
