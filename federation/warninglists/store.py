"""The imported documents, kept encrypted on disk so later salts can be covered.

The database holds a list's values only as stored hashes, which cannot be
re-hashed under a salt added later; the server needs the values once more for
that. They stay out of the database (dumps, backups, replicas) and live in
``WARNINGLISTS_DIR``, one ``<sha256 of the document>.json.enc`` each (so an import that
rolls back never overwrites the document of the list in force), encrypted with Fernet
under a key derived from the server pepper: the values are meant to be public
(test numbers, hotlines, address ranges), but an operator may list anything,
and nothing the server keeps at rest holds a raw identifier.
"""

from __future__ import annotations

import base64
import hmac
import json
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from ..secret_files import write_secret


class DocumentStore:
    def __init__(self, folder: Path, pepper: bytes) -> None:
        self.folder = folder
        key = hmac.digest(pepper, b"warninglist-documents", "sha256")
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def __repr__(self) -> str:  # never print the key
        return f"DocumentStore({str(self.folder)!r})"

    def _path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 digest")
        return self.folder / f"{sha256}.json.enc"

    def save(self, sha256: str, document: dict[str, Any]) -> None:
        text = json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
        write_secret(self._path(sha256), self._fernet.encrypt(text).decode("ascii") + "\n")

    def load(self, sha256: str) -> dict[str, Any] | None:
        """The document, or ``None`` if it is missing or unreadable (another pepper, a damaged file)."""
        try:
            return json.loads(self._fernet.decrypt(self._path(sha256).read_bytes().strip()))
        except (OSError, ValueError, InvalidToken):
            return None

    def delete(self, sha256: str) -> None:
        self._path(sha256).unlink(missing_ok=True)
