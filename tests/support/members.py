"""Members with a registered key, straight through the service (no fixture): tests and the soak."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from federation_client.keys import generate_key, public_jwk


def add_member_with_key(
    session, member_id: str, *, roles=("query",), status: str = "active", alg: str = "EdDSA"
) -> tuple[str, Any, str]:
    """An active member with one registered key, committed: ``(member_id, private_key, kid)``."""
    from federation.members import service

    private_key = generate_key(alg)
    now = datetime.now(UTC)
    service.add_member(
        session, member_id=member_id, display_name=member_id.title(), roles=roles, actor="test", now=now, status=status
    )
    key = service.add_key(session, member_id, json.dumps(public_jwk(private_key)), actor="test", now=now)
    session.commit()
    return member_id, private_key, key.kid
