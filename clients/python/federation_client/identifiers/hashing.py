"""The keyed hash that turns a normalised identifier into what members share.

Exact bytes (spec version ``bf1``)::

    message = b"bf1" + b"\\x00" + type (ASCII) + b"\\x00" + normalised value (UTF-8)
    hash    = lowercase hex of HMAC-SHA256(key=salt, msg=message)

The type tag keeps equal strings of different kinds apart (a device
fingerprint that happens to look like a phone number); the version prefix lets
the rules change without old and new hashes ever colliding. The salt is a
federation-wide secret shared with members, named by a ``key_id`` so it can
be rotated; a hash is meaningful only together with its key id.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

SPEC_VERSION = "bf1"
MIN_SALT_BYTES = 16
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
HASH_PATTERN = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class HashedIdentifier:
    """What a member sends: the type, the hex hash, and the salt's key id."""

    type: str
    hash: str
    key_id: str

    def as_dict(self) -> dict[str, str]:
        return {"type": self.type, "hash": self.hash, "key_id": self.key_id}


@dataclass(frozen=True, slots=True)
class IdentifierHashes:
    """One identifier hashed under several salts (during a rotation, every accepted one).

    It travels as one item, ``{"type", "hashes": [{"key_id", "hash"}, ...]}``:
    the server matches it if any hash matches and answers once for it. The
    first hash is under the current salt; ``hash`` and ``key_id`` are that one's.
    """

    type: str
    hashes: tuple[HashedIdentifier, ...]

    @property
    def hash(self) -> str:
        return self.hashes[0].hash

    @property
    def key_id(self) -> str:
        return self.hashes[0].key_id

    def as_dict(self) -> dict[str, object]:
        return {"type": self.type, "hashes": [{"key_id": h.key_id, "hash": h.hash} for h in self.hashes]}


def check_salt(salt: bytes, key_id: str) -> None:
    """Refuse salts too short to resist guessing and key ids that cannot travel in URLs."""
    if not isinstance(salt, bytes | bytearray) or len(salt) < MIN_SALT_BYTES:
        raise ValueError(f"the salt must be at least {MIN_SALT_BYTES} bytes")
    if not isinstance(key_id, str) or not KEY_ID_PATTERN.fullmatch(key_id):
        raise ValueError("key_id must be 1-32 characters of A-Z a-z 0-9 . _ - starting alphanumeric")


def message_bytes(type_: str, normalized: str) -> bytes:
    return b"\x00".join((SPEC_VERSION.encode("ascii"), type_.encode("ascii"), normalized.encode("utf-8")))


def keyed_hash(type_: str, normalized: str, salt: bytes) -> str:
    return hmac.new(bytes(salt), message_bytes(type_, normalized), hashlib.sha256).hexdigest()
