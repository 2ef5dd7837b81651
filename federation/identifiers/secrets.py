"""The federation salt(s) and the server pepper.

* The **salts** are shared with members: they hash identifiers with them
  (``docs/identifiers.md``). Each has a key id and a status: one is
  ``current`` (new hashes are made with it), the others still ``accepted``
  (hashes under them still match) until the operator retires them; a retired
  key id is remembered so it is never reused for another salt.
* The **pepper** never leaves the server. Stored identifiers are
  ``HMAC-SHA256(pepper, key_id NUL type NUL member_hash)``, so a database dump
  cannot be matched against anything, even by a member holding the salt.

Both live in files (``FEDERATION_SALTS_FILE``, ``FEDERATION_PEPPER_FILE``);
the embedded default generates them on first start. The salts file is the
single source of truth for every worker: ``federation salts add|retire``
rewrites it atomically, and each worker re-reads it when it changes (checked
at most once a second, before a request), so a rotation takes effect on a
running server without a restart.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from federation_client.identifiers.hashing import check_salt

from ..secret_files import read_or_create, write_secret

_log = logging.getLogger(__name__)
PEPPER_BYTES = 32
SALT_BYTES = 32
#: Seconds between two looks at the salts file (one ``stat``); a rotation reaches every worker within it.
RELOAD_INTERVAL = 1.0


@dataclass(frozen=True, slots=True)
class SaltTable:
    """One consistent reading of the salts file: swapped whole, never edited in place."""

    current_key_id: str
    #: Every accepted salt, the current one included, by key id.
    salts: dict[str, bytes]
    retired: frozenset[str] = frozenset()

    def status(self, key_id: str) -> str:
        return "current" if key_id == self.current_key_id else "accepted"

    @classmethod
    def from_document(cls, document: dict[str, Any], source: str = "salts") -> SaltTable:
        salts = {key_id: bytes.fromhex(value) for key_id, value in document["salts"].items()}
        for key_id, salt in salts.items():
            check_salt(salt, key_id)
        if document["current"] not in salts:
            raise ValueError(f"{source}: the current key id {document['current']!r} has no salt")
        retired = frozenset(document.get("retired", ()))
        if retired & salts.keys():
            raise ValueError(f"{source}: retired key ids cannot be accepted: {sorted(retired & salts.keys())}")
        return cls(current_key_id=document["current"], salts=salts, retired=retired)

    def to_document(self) -> str:
        document = {
            "current": self.current_key_id,
            "salts": {key_id: salt.hex() for key_id, salt in self.salts.items()},
            "retired": sorted(self.retired),
        }
        return json.dumps(document, indent=1) + "\n"


@dataclass(frozen=True, slots=True)
class AcceptedKeyIds:
    """``key_id in view``: asks the salts in force at the moment of the question."""

    secrets: IdentifierSecrets

    def __contains__(self, key_id: object) -> bool:
        return isinstance(key_id, str) and self.secrets.knows(key_id)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.secrets.salts))

    def __len__(self) -> int:
        return len(self.secrets.salts)


class IdentifierSecrets:
    """The salts in force and the pepper; one object per app, shared by every service.

    The salts are read through :attr:`table`, replaced whole when the file
    changes, so a reader never sees half of a rotation.
    """

    def __init__(self, table: SaltTable, pepper: bytes, *, source: Path | None = None) -> None:
        self._table = table
        self.pepper = pepper
        self.source = source
        self._signature = _signature(source) if source is not None else None
        self._checked_at = time.monotonic()
        self._lock = threading.Lock()
        self._prefixes: dict[tuple[str, str], bytes] = {}

    def __repr__(self) -> str:  # never print a secret by accident
        return f"IdentifierSecrets(current={self.current_key_id!r}, accepted={sorted(self.salts)})"

    @property
    def table(self) -> SaltTable:
        return self._table

    @property
    def current_key_id(self) -> str:
        return self._table.current_key_id

    @property
    def salts(self) -> dict[str, bytes]:
        """Every accepted salt (current included) by key id."""
        return self._table.salts

    @property
    def current_salt(self) -> bytes:
        table = self._table
        return table.salts[table.current_key_id]

    def knows(self, key_id: str) -> bool:
        return key_id in self._table.salts

    @property
    def accepted_key_ids(self) -> AcceptedKeyIds:
        """A live view of the accepted key ids, for settings read once at start (``entries.rules.Policy``)."""
        return AcceptedKeyIds(self)

    def stored_hash(self, key_id: str, type_: str, member_hash: str) -> bytes:
        """What the database keeps for a member-supplied hash (32 bytes)."""
        prefix = self._prefixes.get((key_id, type_))
        if prefix is None:  # a handful of (key id, type) pairs: built once each
            prefix = self._prefixes[(key_id, type_)] = f"{key_id}\x00{type_}\x00".encode("ascii")
        return hmac.digest(self.pepper, prefix + member_hash.encode("ascii"), "sha256")  # one-shot C path

    def keyed_tag(self, label: str, value: str) -> str:
        """A peppered tag for server-side comparisons of values never stored (appeal identifiers,
        client addresses): stable, and useless to anyone without the pepper."""
        return hmac.digest(self.pepper, f"{label}\0{value}".encode(), "sha256").hex()

    # -- keeping up with the file -----------------------------------------------------------------
    def refresh(self, *, clock: Callable[[], float] = time.monotonic) -> bool:
        """Re-read the salts file if it changed; looks at it at most once per ``RELOAD_INTERVAL``.

        Called before every request: the common case is one clock read. A file
        that is unreadable or invalid keeps the salts in force (and says so by
        raising only when asked to :meth:`reload`), so a half-edited file never
        takes a server down.
        """
        now = clock()
        if self.source is None or now - self._checked_at < RELOAD_INTERVAL:
            return False
        self._checked_at = now
        if _signature(self.source) == self._signature:
            return False
        try:
            self.reload()
        except (OSError, ValueError, KeyError, TypeError) as error:
            _log.warning("salts file %s unreadable, keeping the salts in force: %s", self.source, type(error).__name__)
            return False
        return True

    def reload(self) -> None:
        """Read the salts file now (after this process rewrote it, or when it changed)."""
        with self._lock:
            signature = _signature(self.source)
            self._table = SaltTable.from_document(json.loads(self.source.read_text("utf-8")), str(self.source))
            self._signature = signature

    def replace(self, table: SaltTable) -> None:
        """Write a new salt table to the file atomically and use it at once (``federation salts``)."""
        if self.source is None:
            raise ValueError("these salts were not read from a file")
        with self._lock:
            write_secret(self.source, table.to_document())
        self.reload()


def _signature(path: Path) -> tuple[int, int, int] | None:
    """Inode, size and mtime: an atomic rewrite (a rename) always changes the inode."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def _new_salts() -> str:
    key_id = datetime.now(UTC).strftime("%Y-%m")
    return SaltTable(current_key_id=key_id, salts={key_id: new_salt()}).to_document()


def load_identifier_secrets(salts_path: Path, pepper_path: Path) -> IdentifierSecrets:
    table = SaltTable.from_document(json.loads(read_or_create(salts_path, _new_salts)), str(salts_path))
    pepper = bytes.fromhex(read_or_create(pepper_path, lambda: secrets.token_hex(PEPPER_BYTES) + "\n").strip())
    if len(pepper) < 16:
        raise ValueError(f"{pepper_path}: the pepper must be at least 16 bytes")
    return IdentifierSecrets(table, pepper, source=salts_path)


def init_identifier_secrets(app) -> None:  # noqa: ANN001 - a Flask app; kept Flask-free otherwise
    instance = Path(app.instance_path)
    identifier_secrets = load_identifier_secrets(
        Path(app.config.get("SALTS_FILE") or instance / "salts.json"),
        Path(app.config.get("PEPPER_FILE") or instance / "pepper.hex"),
    )
    app.extensions["federation.identifiers"] = identifier_secrets

    @app.before_request
    def _salts_in_force() -> None:
        identifier_secrets.refresh()
