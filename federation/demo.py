"""Demo data for ``make run``: one active member with every role and a key pair,
and the default joint rules.

The private key is written to ``<instance>/demo/`` so the quickstart can call
the API at once; it is a demo key and must never be used in production.
Idempotent: an existing demo member and key are left as they are.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation_client.keys import write_key_pair

from .lookups import joint_rules
from .lookups.models import RuleDocument
from .members import service as members
from .members.models import Member

DEMO_MEMBER = "demo-platform"
DEMO_KID = "demo-key-1"
DEFAULT_RULES = Path(__file__).resolve().parent.parent / "docs" / "rules" / "2026.1.toml"


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
    if session.scalars(select(RuleDocument).limit(1)).first() is None:
        joint_rules.publish(session, joint_rules.read_rule_file(DEFAULT_RULES), actor="system:demo", now=now)
    return folder
