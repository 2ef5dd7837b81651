"""Realistic entry payloads, hashed with the app's real salt through the SDK."""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from federation_client.identifiers import hash_all, hash_all_salts


def salt_of(app) -> tuple[bytes, str]:
    secrets = app.extensions["federation.identifiers"]
    return secrets.current_salt, secrets.current_key_id


def hashed(app, type_: str, raw: str) -> list[dict[str, str]]:
    salt, key_id = salt_of(app)
    return [h.as_dict() for h in hash_all(type_, raw, salt, key_id)]


#: One reference time for the whole run, so two payloads built alike are identical.
OCCURRED = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)


def entry_payload(app, case_ref: str = "case-1", *, phone: str = "13800138000", **overrides: Any) -> dict[str, Any]:
    occurred = OCCURRED
    payload: dict[str, Any] = {
        "case_ref": case_ref,
        "category": "refund_after_use",
        "tier": 1,
        "amount": {"value": "199.00", "currency": "CNY"},
        "occurred_at": occurred.isoformat(),
        "identifiers": hashed(app, "phone", phone) + hashed(app, "device", "35-209900-176148-1"),
        "evidence": [
            {
                "kind": "redemption_record",
                "sha256": hashlib.sha256(case_ref.encode()).hexdigest(),
                "size": 2048,
                "captured_at": (occurred + timedelta(hours=1)).isoformat(),
            },
            {
                "kind": "chat_log",
                "sha256": hashlib.sha256(b"chat" + case_ref.encode()).hexdigest(),
                "size": 512,
                "captured_at": (occurred + timedelta(hours=2)).isoformat(),
                "uri": "s3://evidence/chat.json",
            },
        ],
        "review": {
            "ai_score": 0.93,
            "ai_model": "complaint-judge-v4",
            "human_reviewer": "reviewer-07",
            "reviewed_at": (occurred + timedelta(days=1)).isoformat(),
        },
    }
    payload.update(copy.deepcopy(overrides))
    return payload


def hashed_all(app, type_: str, raw: str) -> list[dict]:
    """Hashed under every accepted salt, current first, as the SDK sends it during a rotation."""
    table = app.extensions["federation.identifiers"].table
    salts = sorted(table.salts.items(), key=lambda item: item[0] != table.current_key_id)
    return [h.as_dict() for h in hash_all_salts(type_, raw, salts)]


def hashed_under(app, key_id: str, type_: str, raw: str) -> list[dict[str, str]]:
    """Hashed under one named salt only, as a member hashing by hand with that salt would."""
    salt = app.extensions["federation.identifiers"].salts[key_id]
    return [h.as_dict() for h in hash_all(type_, raw, salt, key_id)]
