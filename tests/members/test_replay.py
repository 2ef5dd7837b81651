"""Both replay stores, for real: the database (each backend) and Redis."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis
from flask_migrate import upgrade

from federation.extensions import db as _db
from federation.members import service
from federation.members.assertions import CLOCK_SKEW, AssertionKey, verify_client_assertion
from federation.members.models import SpentAssertion
from federation.members.replay import DatabaseReplayStore, RedisReplayStore
from federation_client.keys import generate_key, public_jwk
from tests.conftest import Auth, Identity, build_app, sign_assertion

NOW = datetime.now(UTC)
REDIS_URL = os.environ.get("FEDERATION_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is required under CI=true: {exc}", pytrace=False)
        pytest.skip(f"Redis unreachable: {exc}")
    yield client
    client.close()


def test_database_store_refuses_a_second_claim_until_expiry(db):
    store = DatabaseReplayStore(db.session)
    assert store.claim("acme", "j1", NOW + timedelta(minutes=5), NOW)
    assert not store.claim("acme", "j1", NOW + timedelta(minutes=5), NOW)
    assert store.claim("other", "j1", NOW + timedelta(minutes=5), NOW)  # jti is per member
    later = NOW + timedelta(minutes=6)
    assert store.claim("acme", "j1", later + timedelta(minutes=5), later)  # pruned after expiry
    db.session.commit()


URL = "https://federation.example/v1/oauth/token"
KEY = generate_key()


def verify_at(assertion: str, now: datetime):
    keys = [AssertionKey("k1", "EdDSA", KEY.public_key())]
    return verify_client_assertion(assertion, token_url=URL, now=now, keys_for=lambda _member: keys)


def spent_then_replayed_after_exp(store) -> bool:
    """Spend an assertion, then offer it again 59 s after its ``exp``: still accepted by the verifier."""
    issued = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    exp = issued + timedelta(minutes=5)
    assertion = sign_assertion(KEY, "k1", "acme", URL, iat=int(issued.timestamp()), exp=int(exp.timestamp()))
    first = verify_at(assertion, issued)
    assert first.replay_until == exp + CLOCK_SKEW
    assert store.claim("acme", first.jti, first.replay_until, issued)
    late = exp + CLOCK_SKEW - timedelta(seconds=1)
    again = verify_at(assertion, late)  # the verifier still accepts it here ...
    return store.claim("acme", again.jti, again.replay_until, late)  # ... so the store must refuse it


def test_database_store_remembers_a_jti_through_the_leeway_after_exp(db):
    assert not spent_then_replayed_after_exp(DatabaseReplayStore(db.session))
    db.session.commit()


def test_redis_store_remembers_a_jti_through_the_leeway_after_exp(redis_client):
    store = RedisReplayStore(redis_client, prefix=f"test:{uuid.uuid4().hex}:")
    now = NOW
    assertion = sign_assertion(KEY, "k1", "acme", URL, iat=int(now.timestamp()), exp=int(now.timestamp()) + 10)
    verified = verify_at(assertion, now)
    assert store.claim("acme", verified.jti, verified.replay_until, now)
    # Redis expires on its own clock: the record must live exp + leeway from now, not just until exp.
    assert redis_client.pttl(f"{store.prefix}acme:{verified.jti}") > 10_000 + CLOCK_SKEW.total_seconds() * 1000 - 2_000
    assert not spent_then_replayed_after_exp(store)


def test_redis_store_refuses_a_second_claim(redis_client):
    store = RedisReplayStore(redis_client, prefix=f"test:{uuid.uuid4().hex}:")
    assert store.claim("acme", "j1", NOW + timedelta(seconds=30), NOW)
    assert not store.claim("acme", "j1", NOW + timedelta(seconds=30), NOW)
    assert store.claim("other", "j1", NOW + timedelta(seconds=30), NOW)
    ttl = redis_client.pttl(f"{store.prefix}acme:j1")
    assert 0 < ttl <= 30_000


def test_token_endpoint_uses_redis_when_configured(tmp_path, make_database_url, redis_client):
    app = build_app(make_database_url("sqlite"), str(tmp_path), REDIS_URL=REDIS_URL)
    with app.app_context():
        upgrade()
        key = generate_key()
        service.add_member(
            _db.session, member_id="acme", display_name="A", roles=["query"], actor="t", now=NOW, status="active"
        )
        kid = service.add_key(_db.session, "acme", json.dumps(public_jwk(key)), actor="t", now=NOW).kid
        _db.session.commit()
        assertion = Identity("acme", key, kid).assertion()
        auth = Auth(app.test_client())
        assert auth.token_response(assertion).status_code == 200
        assert auth.token_response(assertion).get_json()["code"] == "assertion_replayed"
        assert _db.session.query(SpentAssertion).count() == 0  # the database store was not used
        _db.engine.dispose()
