"""The sweep detector and budgets against a real ``federation serve`` (2 gunicorn workers) sharing Redis.

Redis db 9 (``FEDERATION_TEST_ATTACK_REDIS_URL``), keys under a prefix of this test's own.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask_migrate import upgrade
from sqlalchemy import update

from federation.extensions import db as _db
from federation.members.models import Member
from federation_client.identifiers import hash_normalized
from tests.conftest import build_app, create_member
from tests.support.pgcluster import free_port
from tests.support.processes import kill_group, server_env, start_server, wait_children, wait_healthy

REDIS_URL = os.environ.get("FEDERATION_TEST_ATTACK_REDIS_URL", "redis://127.0.0.1:6379/9")


@pytest.fixture
def server(make_database_url, tmp_path):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.skip(f"Redis unreachable: {exc}")
    prefix = f"attack-{uuid.uuid4().hex[:10]}"
    url = make_database_url("postgresql")
    instance = tmp_path / "instance"
    instance.mkdir()
    app = build_app(url, str(instance))
    with app.app_context():
        upgrade()
        people = {
            "sweeper": create_member(_db.session, "sweeper", roles=("query",)),
            "other": create_member(_db.session, "other", roles=("query",)),
        }
        _db.session.execute(update(Member).values(daily_lookup_quota=1_000_000))
        _db.session.commit()
        secrets = app.extensions["federation.identifiers"]
        salt, key_id = secrets.current_salt, secrets.current_key_id
        _db.engine.dispose()
    port = free_port()
    env = server_env(
        instance,
        DATABASE_URL=url,
        REDIS_URL=REDIS_URL,
        SWEEP_KEY_PREFIX=f"{prefix}:sweep:",
        RATE_LIMIT_KEY_PREFIX=prefix,
        WEBHOOK_ALLOW_PRIVATE="true",
        WEBHOOK_ALLOW_HTTP="true",
    )
    process = start_server(port, env, tmp_path / "server.log", workers=2)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", timeout=60)
        assert len(wait_children(process.pid, 2)) == 2
        yield {"port": port, "people": people, "salt": salt, "key_id": key_id, "log": tmp_path / "server.log"}
    finally:
        kill_group(process)
        for key in client.scan_iter(f"*{prefix}*", count=1000):
            client.delete(key)
        client.close()


def request(port: int, method: str, path: str, body: dict | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            method,
            path,
            body=json.dumps(body) if body is not None else None,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def token(server, name: str) -> dict:
    port = server["port"]
    assertion = server["people"][name].assertion(audience=f"http://127.0.0.1:{port}/v1/oauth/token")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    form = (
        "grant_type=client_credentials&client_assertion_type="
        "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
        f"&client_assertion={assertion}&scope=query"
    )
    conn.request("POST", "/v1/oauth/token", body=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    body = json.loads(response.read())
    conn.close()
    assert response.status == 200, body
    return {"Authorization": f"Bearer {body['access_token']}"}


def phones(server, count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)  # noqa: S311 - test data
    return [
        {
            "type": "phone",
            "key_id": server["key_id"],
            "hash": hash_normalized("phone", f"+86139{rng.randrange(10**8):08d}", server["salt"]),
        }
        for _ in range(count)
    ]


def lookup(server, headers, identifiers):
    body = {"purpose": "order_screening", "reference": "ORD-7", "identifiers": identifiers}
    return request(server["port"], "POST", "/v1/lookups", body, headers)


def test_concurrent_batches_on_two_workers_are_stopped_and_no_worker_answers_after(server):
    """Held: eight 1,000-identifier random batches sent at once over fresh connections (both workers) get
    at most one answer (the 2,000th identifier trips the detector in the shared Redis counts), and once
    throttled neither worker answers that member, while another member is still served."""
    sweeper = token(server, "sweeper")
    batches = [phones(server, 1000, seed=i) for i in range(8)]
    barrier = threading.Barrier(8)

    def send(batch):
        barrier.wait()
        return lookup(server, sweeper, batch)[0]

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(send, batches))
    assert codes.count(200) <= 1 and set(codes) <= {200, 429}, codes
    after = [lookup(server, sweeper, phones(server, 1, seed=100 + i))[0] for i in range(12)]
    assert after == [429] * 12
    assert lookup(server, token(server, "other"), phones(server, 1, seed=999))[0] == 200
    log = server["log"].read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
