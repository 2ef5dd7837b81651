"""The imported documents, kept on disk beside the salts so later salts can be covered.

The database holds a list's values only as stored hashes, which cannot be
re-hashed under a salt added later; the server needs the values once more for
that. They stay out of the database (dumps, backups, replicas) and live in
``WARNINGLISTS_DIR``, one ``<list id>.json`` each: public, non-personal data
(test numbers, hotlines, address ranges) that the operator imported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..secret_files import write_secret


@dataclass(frozen=True, slots=True)
class DocumentStore:
    folder: Path

    def _path(self, list_id: int) -> Path:
        return self.folder / f"{int(list_id)}.json"

    def save(self, list_id: int, document: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        write_secret(self._path(list_id), json.dumps(document, ensure_ascii=False, sort_keys=True) + "\n")

    def load(self, list_id: int) -> dict[str, Any] | None:
        try:
            return json.loads(self._path(list_id).read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def delete(self, list_id: int) -> None:
        self._path(list_id).unlink(missing_ok=True)
