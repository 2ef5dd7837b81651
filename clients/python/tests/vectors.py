"""Loading the published test vectors (``clients/test-vectors/identifiers.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS_PATH = Path(__file__).resolve().parents[2] / "test-vectors" / "identifiers.json"


def load_vectors() -> dict[str, Any]:
    return json.loads(VECTORS_PATH.read_text(encoding="utf-8"))


def vector_id(vector: dict[str, Any]) -> str:
    return f"{vector['type']}:{vector['input'][:40]!r}"
