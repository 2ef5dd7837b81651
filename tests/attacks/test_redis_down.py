"""Redis down (docs/security.md "Redis down": fail open to memory, never to unlimited and never to 503)."""

from __future__ import annotations

import socket

from flask_migrate import upgrade

from federation.api.auth import auth_state
from federation.database import utcnow
from federation.extensions import db as _db
from federation.members.tokens import issue_access_token
from tests.conftest import build_app, create_member
from tests.entries.factories import hashed


def test_a_lookup_still_answers_when_redis_is_down(make_database_url, tmp_path):
    """Broken: "Redis down. Decision: fail open to memory, never to unlimited and never to 503 ... No request
    fails because the limits storage is down". The budget and flask-limiter fall back to memory, but the
    sweep detector's store (``RedisSweepStore``, no timeouts, no fallback) raises on every lookup: with
    Redis unreachable every ``POST /v1/lookups`` is a 5xx, after it was matched and audited."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    app = build_app(make_database_url("sqlite"), str(tmp_path), REDIS_URL=f"redis://127.0.0.1:{closed}/0")
    with app.app_context():
        upgrade()
        create_member(_db.session, "risk-c", roles=("query",))
        client = app.test_client()
        with app.test_request_context():
            token, _ = issue_access_token(
                auth_state().key_set,
                issuer=app.config["ISSUER"],
                member_id="risk-c",
                scopes=frozenset({"query"}),
                now=utcnow(),
            )
        headers = {"Authorization": f"Bearer {token}"}
        body = {"purpose": "complaint_intake", "reference": "CMP-1", "identifiers": hashed(app, "phone", "13912345678")}
        codes = [client.post("/v1/lookups", json=body, headers=headers).status_code for _ in range(2)]
        app.extensions["federation.lookups.audit"].flush()
        _db.engine.dispose()
    assert codes == [200, 200], codes
