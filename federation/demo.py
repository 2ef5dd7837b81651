"""Demo data for ``make run``: one active member with every role and a key pair.

The private key is written to ``<instance>/demo/`` so the quickstart can call
the API at once; it is a demo key and must never be used in production.
Idempotent: an existing demo member and key are left as they are.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from federation_client.keys import write_key_pair

from .members import service as members
from .members.models import Member

DEMO_MEMBER = "demo-platform"
DEMO_KID = "demo-key-1"


def ensure_demo_member(session: Session, instance_path: str, *, now: datetime) -> Path:
    folder = Path(instance_path) / "demo"
    if not (folder / "private-key.pem").exists():
        write_key_pair(folder, kid=DEMO_KID)
    if session.get(Member, DEMO_MEMBER) is None:
        members.add_member(
            session,
            member_id=DEMO_MEMBER,
            display_name="Demo Platform",
            roles=["query", "submit", "review", "admin"],
            actor="system:demo",
            now=now,
            status="active",
            contact="ops@demo.invalid",
        )
    if not any(key.kid == DEMO_KID for key in members.list_keys(session, DEMO_MEMBER)):
        public_jwk = json.loads((folder / "public-jwk.json").read_text(encoding="utf-8"))
        members.add_key(session, DEMO_MEMBER, json.dumps(public_jwk), kid=DEMO_KID, actor="system:demo", now=now)
    return folder
