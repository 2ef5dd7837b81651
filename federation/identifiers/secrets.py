"""The federation salt(s) and the server pepper.

* The **salt** is shared with members: they hash identifiers with it
  (``docs/identifiers.md``). Several may exist during a rotation, each under a
  key id; one is current. The server holds them to hash raw identifiers it is
  given directly (CLI imports, public appeals) and to know which key ids are
  valid.
* The **pepper** never leaves the server. Stored identifiers are
  ``HMAC-SHA256(pepper, key_id NUL type NUL member_hash)``, so a database dump
  cannot be matched against anything, even by a member holding the salt.

Both live in files (``FEDERATION_SALTS_FILE``, ``FEDERATION_PEPPER_FILE``);
the embedded default generates them on first start.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from federation_client.identifiers.hashing import check_salt

from ..secret_files import read_or_create

PEPPER_BYTES = 32


@dataclass(frozen=True)
class IdentifierSecrets:
    current_key_id: str
    salts: dict[str, bytes] = field(repr=False)
    pepper: bytes = field(repr=False)
    _prefixes: dict[tuple[str, str], bytes] = field(default_factory=dict, repr=False, compare=False)

    @property
    def current_salt(self) -> bytes:
        return self.salts[self.current_key_id]

    def knows(self, key_id: str) -> bool:
        return key_id in self.salts

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


def _new_salts() -> str:
    key_id = datetime.now(UTC).strftime("%Y-%m")
    return json.dumps({"current": key_id, "salts": {key_id: secrets.token_hex(32)}}, indent=1) + "\n"


def load_identifier_secrets(salts_path: Path, pepper_path: Path) -> IdentifierSecrets:
    document = json.loads(read_or_create(salts_path, _new_salts))
    salts = {key_id: bytes.fromhex(value) for key_id, value in document["salts"].items()}
    for key_id, salt in salts.items():
        check_salt(salt, key_id)
    if document["current"] not in salts:
        raise ValueError(f"{salts_path}: the current key id {document['current']!r} has no salt")
    pepper = bytes.fromhex(read_or_create(pepper_path, lambda: secrets.token_hex(PEPPER_BYTES) + "\n").strip())
    if len(pepper) < 16:
        raise ValueError(f"{pepper_path}: the pepper must be at least 16 bytes")
    return IdentifierSecrets(current_key_id=document["current"], salts=salts, pepper=pepper)


def init_identifier_secrets(app) -> None:  # noqa: ANN001 - a Flask app; kept Flask-free otherwise
    instance = Path(app.instance_path)
    app.extensions["federation.identifiers"] = load_identifier_secrets(
        Path(app.config.get("SALTS_FILE") or instance / "salts.json"),
        Path(app.config.get("PEPPER_FILE") or instance / "pepper.hex"),
    )
