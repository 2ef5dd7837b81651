"""Build a benchmark database of N entries, fast, with the server's real salt and pepper.

Entries are written with SQLAlchemy Core in bulk (no per-row ORM work), each
with a phone, a device and an IP (plus its network), spread over 50 members.
Request bodies for the load generator are written beside it: single lookups of
4 identifiers (half of them of listed people) and batches of 1,000 (5 % hits).
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import insert

from federation import create_app
from federation.entries.models import Entry, EntryIdentifier
from federation.extensions import db
from federation.members import service as members
from federation.members.models import Member
from federation_client.identifiers import hash_normalized
from federation_client.keys import public_jwk, write_key_pair

MEMBERS = 50
CHUNK = 20_000
BENCH_MEMBER = "bench-risk"
#: The bench member's declared daily volume: its budget (twice this) and burst (5 % of that per minute)
#: must never bite during a bench, which pushes a day's traffic of many platforms through in minutes.
BENCH_DECLARED_DAILY_LOOKUPS = 1_000_000_000


def person(i: int) -> list[tuple[str, str]]:
    """The normalised identifiers of synthetic person ``i`` (valid shapes, public IPs)."""
    ip = f"{1 + (i >> 16) % 200}.{(i >> 8) & 255}.{i & 255}.{7 + i % 200}"
    net = ip.rsplit(".", 1)[0] + ".0/24"
    return [("phone", f"+86138{i:08d}"), ("device", f"bench-device-{i:012d}"), ("ip", ip), ("ip_net", net)]


def build(database_url: str, instance: Path, entries: int) -> dict:
    instance.mkdir(parents=True, exist_ok=True)
    app = create_app(overrides={"DATABASE_URL": database_url}, instance_path=str(instance))
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        secrets = app.extensions["federation.identifiers"]
        salt, key_id = secrets.current_salt, secrets.current_key_id
        now = datetime.now(UTC)
        _members(now)
        _entries(entries, secrets, salt, key_id, now)
        db.session.commit()
        _bench_member(instance, now)
        db.session.commit()
        db.engine.dispose()
    bodies = write_bodies(instance, entries, salt, key_id)
    return {"seconds": round(time.perf_counter() - started, 1), **bodies}


def _members(now: datetime) -> None:
    db.session.execute(
        insert(Member),
        [
            {
                "id": f"bench-m{j:02d}",
                "display_name": f"Bench {j}",
                "status": "active",
                "roles": "submit",
                "trust_weight": 1.0,
                "contact": "",
                "created_at": now,
                "updated_at": now,
            }
            for j in range(MEMBERS)
        ],
    )


def _entries(count: int, secrets, salt: bytes, key_id: str, now: datetime) -> None:
    identifier_id = 1
    for start in range(1, count + 1, CHUNK):
        entry_rows, identifier_rows = [], []
        for i in range(start, min(start + CHUNK, count + 1)):
            occurred = now - timedelta(days=i % 150)
            entry_rows.append(
                {
                    "id": i,
                    "ref": f"B{i:015d}",
                    "member_id": f"bench-m{i % MEMBERS:02d}",
                    "case_ref": f"case-{i}",
                    "content_hash": hashlib.sha256(str(i).encode()).hexdigest(),
                    "category": "refund_after_use",
                    "tier": 1 + (i % 7 == 0),
                    "amount": 100 + i % 900,
                    "currency": "CNY",
                    "occurred_at": occurred,
                    "expires_at": occurred + timedelta(days=365),
                    "state": "active",
                    "open_disputes": 0,
                    "ai_score": 0.9,
                    "ai_model": "bench",
                    "human_reviewer": "bench-rev",
                    "reviewed_at": occurred,
                    "created_at": occurred,
                    "listed_at": occurred,
                    "updated_at": occurred,
                }
            )
            for position, (type_, value) in enumerate(person(i)):
                member_hash = hash_normalized(type_, value, salt)
                identifier_rows.append(
                    {
                        "id": identifier_id,
                        "entry_id": i,
                        "position": position,
                        "type": type_,
                        "key_id": key_id,
                        "stored_hash": secrets.stored_hash(key_id, type_, member_hash),
                    }
                )
                identifier_id += 1
        db.session.execute(insert(Entry), entry_rows)
        db.session.execute(insert(EntryIdentifier), identifier_rows)
        db.session.commit()


def _bench_member(instance: Path, now: datetime) -> None:
    keys = instance / "bench-key"
    if not (keys / "private-key.pem").exists():
        write_key_pair(keys, kid="bench-1")
    from federation_client.keys import load_private_key

    members.add_member(
        db.session,
        member_id=BENCH_MEMBER,
        display_name="Bench risk engine",
        roles=["query"],
        actor="bench",
        now=now,
        status="active",
        declared_daily_lookups=BENCH_DECLARED_DAILY_LOOKUPS,
    )
    members.add_key(
        db.session,
        BENCH_MEMBER,
        json.dumps(public_jwk(load_private_key(keys / "private-key.pem"))),
        kid="bench-1",
        actor="bench",
        now=now,
    )


def write_bodies(instance: Path, entries: int, salt: bytes, key_id: str) -> dict:
    """One JSON body per line: 500 single lookups and 20 batches of 1,000."""
    rng = random.Random(7)  # noqa: S311 - reproducible test data

    def identifier(i: int, type_index: int, subject: str | None = None) -> dict:
        type_, value = person(i)[type_index]
        item = {"type": type_, "hash": hash_normalized(type_, value, salt), "key_id": key_id}
        return {**item, "subject": subject} if subject else item

    def someone(listed: bool) -> int:
        return rng.randint(1, entries) if listed else entries + rng.randint(1, 10**7)

    singles = []
    for n in range(500):
        i = someone(n % 2 == 0)
        singles.append(
            {
                "purpose": "complaint_intake",
                "reference": f"CMP-{n}",
                "identifiers": [identifier(i, t, "complainant") for t in range(4)],
            }
        )
    batches = [
        {
            "purpose": "order_screening",
            "reference": f"ORD-BATCH-{n}",
            "identifiers": [identifier(someone(rng.random() < 0.05), rng.randrange(3)) for _ in range(1000)],
        }
        for n in range(20)
    ]
    for name, bodies in (("single", singles), ("batch", batches)):
        (instance / f"bodies-{name}.jsonl").write_text("\n".join(json.dumps(b) for b in bodies) + "\n")
    return {"single_bodies": len(singles), "batch_bodies": len(batches)}
