"""The server's own signing keys, for the access tokens it issues.

Kept as a private JWK set in a file (``FEDERATION_SIGNING_KEYS_FILE``, default
``<instance>/signing-keys.json``, mode 0600). For the embedded default the
file is generated on first start; production mounts its own. The first key
signs; every key in the file verifies and is published at
``/.well-known/jwks.json``, so rotation is: put a new key first, keep the old
one for one access-token lifetime (15 minutes), then drop it
(``federation signing-keys rotate`` does the first step, ``retire`` the last).

A key dropped from the file stops verifying at once in every worker:
:class:`KeyFile` re-reads the file whenever it changes (one ``stat`` per
request), so retiring a compromised key (``rotate`` then ``retire``) revokes
every token it signed without a restart.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519
from jwt.algorithms import OKPAlgorithm

from federation_client.keys import thumbprint

from ..secret_files import read_or_create, write_secret


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: ed25519.Ed25519PrivateKey

    @property
    def public_jwk(self) -> dict[str, Any]:
        jwk = OKPAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {"kty": jwk["kty"], "crv": jwk["crv"], "x": jwk["x"], "kid": self.kid, "alg": "EdDSA", "use": "sig"}


class SigningKeySet:
    def __init__(self, keys: list[SigningKey]) -> None:
        if not keys:
            raise ValueError("a signing key set needs at least one key")
        self.keys = keys
        self._by_kid = {key.kid: key for key in keys}

    @property
    def current(self) -> SigningKey:
        return self.keys[0]

    def find(self, kid: str | None) -> SigningKey | None:
        return self._by_kid.get(kid) if kid else None

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk for key in self.keys]}


def new_signing_key() -> SigningKey:
    private_key = ed25519.Ed25519PrivateKey.generate()
    public = OKPAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    return SigningKey(kid=thumbprint(public), private_key=private_key)


def _to_document(keys: list[SigningKey]) -> str:
    entries = []
    for key in keys:
        jwk = OKPAlgorithm.to_jwk(key.private_key, as_dict=True)
        entries.append({**jwk, "kid": key.kid, "alg": "EdDSA", "use": "sig"})
    return json.dumps({"keys": entries}, indent=1) + "\n"


def read_key_set(path: Path) -> SigningKeySet:
    return parse_key_set(path.read_text(encoding="utf-8"))


def parse_key_set(text: str) -> SigningKeySet:
    document = json.loads(text)
    keys = [SigningKey(kid=entry["kid"], private_key=OKPAlgorithm.from_jwk(entry)) for entry in document["keys"]]
    return SigningKeySet(keys)


def write_key_set(path: Path, keys: list[SigningKey]) -> None:
    write_secret(path, _to_document(keys))


def load_or_create(path: Path) -> SigningKeySet:
    """Load the key set, generating it on first start. Safe when workers race."""
    return parse_key_set(read_or_create(path, lambda: _to_document([new_signing_key()])))


def rotate(path: Path, *, retire: bool = False) -> SigningKeySet:
    """Put a new key first (``retire``: instead drop every key but the current one)."""
    key_set = read_key_set(path)
    keys = key_set.keys[:1] if retire else [new_signing_key(), *key_set.keys]
    write_key_set(path, keys)
    return SigningKeySet(keys)


class KeyFile:
    """The key set of a file, re-read when the file changes (a rename by ``write_secret`` is atomic).

    ``changed`` is called with the new set, so caches of tokens verified with a dropped key can go.
    A missing or unreadable file keeps the last good set: a botched edit must not lock every member out.
    """

    def __init__(self, path: Path, on_change: Callable[[SigningKeySet], None] | None = None) -> None:
        self.path = path
        self.on_change = on_change
        self._lock = threading.Lock()
        self._stamp = self._stat()
        self.key_set = load_or_create(path)
        self._stamp = self._stamp or self._stat()

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return (info.st_ino, info.st_mtime_ns, info.st_size)

    def current(self) -> SigningKeySet:
        stamp = self._stat()
        if stamp is None or stamp == self._stamp:
            return self.key_set
        with self._lock:
            if stamp != self._stamp:
                try:
                    self.key_set = read_key_set(self.path)
                except (OSError, ValueError, KeyError):
                    return self.key_set
                self._stamp = stamp
                if self.on_change is not None:
                    self.on_change(self.key_set)
        return self.key_set
