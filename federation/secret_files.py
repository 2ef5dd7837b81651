"""Small secret files in the instance folder: written atomically, mode 0600.

The embedded default generates its secrets (token-signing keys, the identifier
pepper, the federation salt) on first start; several gunicorn workers may
start at once, so creation must be race-safe and no reader may ever see a
half-written file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_secret(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Write ``text`` to ``path`` atomically; ``exclusive`` fails if it already exists.

    The content goes to a private temporary file first and is then linked
    (exclusive) or renamed into place.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    temp = Path(temp_name)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    try:
        if exclusive:
            os.link(temp, path)
        else:
            os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def read_or_create(path: Path, generate: Callable[[], str]) -> str:
    """The file's text, generating it first if absent. Safe when workers race."""
    if not path.exists():
        try:
            write_secret(path, generate(), exclusive=True)
        except FileExistsError:
            pass  # another worker won the race; read its file
    return path.read_text(encoding="utf-8")
