"""Member key pairs: generating them, loading them, naming them.

The private key stays with the member; only the public JWK is registered with
the federation. Both Ed25519 (``EdDSA``, the default) and P-256 (``ES256``)
are supported.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url): the default key id."""
    members = ("crv", "kty", "x") if jwk["kty"] == "OKP" else ("crv", "kty", "x", "y")
    canonical = json.dumps({name: jwk[name] for name in members}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def algorithm_of(key: PrivateKey) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    raise ValueError("only Ed25519 and P-256 private keys are supported")


def public_jwk(key: PrivateKey, kid: str | None = None) -> dict[str, Any]:
    """The public half as a JWK, with ``kid`` (default: its thumbprint) and ``alg``."""
    converter = OKPAlgorithm if isinstance(key, ed25519.Ed25519PrivateKey) else ECAlgorithm
    jwk = converter.to_jwk(key.public_key(), as_dict=True)
    public = {name: jwk[name] for name in ("kty", "crv", "x", "y") if name in jwk}
    return {**public, "kid": kid or thumbprint(public), "alg": algorithm_of(key), "use": "sig"}


def generate_key(alg: str = "EdDSA") -> PrivateKey:
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError("alg must be EdDSA or ES256")


def load_private_key(source: PrivateKey | str | bytes | os.PathLike[str]) -> PrivateKey:
    """A key object, PEM text/bytes, or the path of a PEM file."""
    if isinstance(source, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        return source
    if isinstance(source, str) and "-----BEGIN" in source:
        source = source.encode("ascii")
    if not isinstance(source, bytes):
        source = Path(source).read_bytes()
    key = serialization.load_pem_private_key(source, password=None)
    algorithm_of(key)  # type: ignore[arg-type]
    return key  # type: ignore[return-value]


def write_key_pair(directory: str | os.PathLike[str], alg: str = "EdDSA", kid: str | None = None) -> dict[str, Any]:
    """Write ``private-key.pem`` (mode 0600) and ``public-jwk.json``; return the public JWK."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    key = generate_key(alg)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(folder / "private-key.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    jwk = public_jwk(key, kid)
    (folder / "public-jwk.json").write_text(json.dumps(jwk, indent=1) + "\n", encoding="utf-8")
    return jwk
