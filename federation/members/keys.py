"""Reading members' public keys (PEM or JWK) into one stored form.

Accepted: Ed25519 (``EdDSA``) and NIST P-256 (``ES256``), the two algorithms
every mainstream JOSE library signs with. Anything carrying private material
is refused outright: the federation must never hold a member's private key,
not even by accident in an upload.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

from federation_client.keys import thumbprint

from ..errors import ValidationFailed

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey


class InvalidKey(ValidationFailed):
    code = "invalid_key"


@dataclass(frozen=True, slots=True)
class ParsedKey:
    alg: str
    public_jwk: dict[str, Any]
    thumbprint: str


def parse_public_key(text: str) -> ParsedKey:
    """Parse a PEM ``PUBLIC KEY`` or a public JWK (JSON) into its stored form."""
    text = text.strip()
    if "PRIVATE KEY" in text:
        raise InvalidKey("That is a private key. Register only the public key; keep the private key yourself.")
    key = _load_jwk(text) if text.startswith("{") else _load_pem(text)
    if isinstance(key, ed25519.Ed25519PublicKey):
        alg, jwk = "EdDSA", OKPAlgorithm.to_jwk(key, as_dict=True)
    elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        alg, jwk = "ES256", ECAlgorithm.to_jwk(key, as_dict=True)
    else:
        raise InvalidKey("Only Ed25519 (EdDSA) and P-256 (ES256) public keys are accepted.")
    public = {name: jwk[name] for name in ("kty", "crv", "x", "y") if name in jwk}
    return ParsedKey(alg=alg, public_jwk=public, thumbprint=thumbprint(public))


def _load_pem(text: str) -> Any:
    try:
        return serialization.load_pem_public_key(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError, TypeError):
        raise InvalidKey("Not a PEM public key or a JWK.") from None


def _load_jwk(text: str) -> Any:
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        raise InvalidKey("The JWK is not valid JSON.") from None
    if not isinstance(document, dict):
        raise InvalidKey("A JWK is a JSON object.")
    if "d" in document or "p" in document:
        raise InvalidKey("That JWK holds a private key. Register only the public key.")
    loaders = {"OKP": OKPAlgorithm.from_jwk, "EC": ECAlgorithm.from_jwk}
    loader = loaders.get(document.get("kty"))
    if loader is None:
        raise InvalidKey("Only OKP (Ed25519) and EC (P-256) JWKs are accepted.")
    try:
        return loader(document)
    except Exception:  # noqa: BLE001 - PyJWT raises several unrelated types for bad JWKs
        raise InvalidKey("The JWK could not be read as a public key.") from None


def load_public_key(parsed_jwk: dict[str, Any]) -> PublicKey:
    """The cryptography key object for a stored public JWK."""
    loader = OKPAlgorithm.from_jwk if parsed_jwk["kty"] == "OKP" else ECAlgorithm.from_jwk
    return loader(parsed_jwk)
