"""Reading the federation salt from a file.

Two formats, so members can keep the salt however their secret store prefers:
a JSON object ``{"key_id": "...", "salt_hex": "..."}`` (the test-vector file
has this shape too), or a bare hex string, in which case the key id must be
given separately.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .identifiers.hashing import check_salt


@dataclass(frozen=True, slots=True)
class Salt:
    key_id: str
    secret: bytes
    #: ``current`` (new hashes) or ``accepted`` (still matched during a rotation).
    status: str = "current"

    def __repr__(self) -> str:  # never print the secret by accident
        return f"Salt(key_id={self.key_id!r}, secret=<{len(self.secret)} bytes>)"


def load_salt(path: str | Path, key_id: str | None = None) -> Salt:
    text = Path(path).read_text(encoding="utf-8").strip()
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    if isinstance(document, dict):
        hex_value = str(document.get("salt_hex", ""))
        key_id = key_id or document.get("key_id")
    else:
        hex_value = text
    if not key_id:
        raise ValueError("the salt file names no key_id; pass one explicitly")
    try:
        secret = bytes.fromhex(hex_value)
    except ValueError:
        raise ValueError("the salt must be written in hexadecimal") from None
    check_salt(secret, key_id)
    return Salt(key_id=key_id, secret=secret)
