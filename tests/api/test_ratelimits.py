"""Request rate limits (``api/ratelimits.py``): per member token on ``/v1``, per client address elsewhere."""

from __future__ import annotations

import socket
from contextlib import contextmanager

import pytest
from flask_migrate import upgrade

from federation.api.auth import auth_state
from federation.database import utcnow
from federation.extensions import db as _db
from federation.members.tokens import issue_access_token
from tests.conftest import Auth, build_app, create_member


@contextmanager
def limits(app, **values):
    """Lower some limits for one test (the providers read the config on every request)."""
    previous = {name: app.config[name] for name in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(previous)


def assert_rate_limited(response, limit: int) -> dict:
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == "too_many_requests" and body["status"] == 429
    assert body["type"] == "urn:blacklist-federation:problem:too_many_requests"
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert response.headers["RateLimit-Limit"] == str(limit)
    assert response.headers["RateLimit-Remaining"] == "0"
    assert 0 <= int(response.headers["RateLimit-Reset"]) <= 61  # seconds from now, not an epoch
    return body


def test_public_endpoints_are_limited_per_address_with_headers(client, app):
    with limits(app, RATE_LIMIT_PUBLIC="3 per minute"):
        answers = [client.get("/.well-known/jwks.json") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
        assert answers[0].headers["RateLimit-Limit"] == "3"
        assert_rate_limited(client.get("/v1/rules/current"), 3)  # one budget across public endpoints
        assert client.get("/healthz").status_code == 200  # exempt: load balancers poll it
        other = client.get("/.well-known/jwks.json", environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert other.status_code == 200  # another address has its own count


def test_members_are_limited_per_member_not_per_address(client, app, auth, make_member):
    acme, globex = make_member("acme"), make_member("globex")
    acme_headers, globex_headers = auth.headers(acme), auth.headers(globex)
    with limits(app, RATE_LIMIT_MEMBER="2 per minute", RATE_LIMIT_PUBLIC="50 per minute"):
        assert [client.get("/v1/members/me", headers=acme_headers).status_code for _ in range(2)] == [200, 200]
        assert_rate_limited(client.get("/v1/salts", headers=acme_headers), 2)  # every /v1 request counts
        assert client.get("/v1/members/me", headers=globex_headers).status_code == 200  # same address
        anonymous = client.get("/.well-known/jwks.json")
        assert anonymous.status_code == 200 and anonymous.headers["RateLimit-Limit"] == "50"
        # A token that does not verify is a stranger, counted by address, then refused by ``requires``.
        forged = client.get("/v1/members/me", headers={"Authorization": "Bearer not-a-token"})
        assert forged.status_code == 401 and forged.headers["RateLimit-Limit"] == "50"


def test_the_token_endpoint_has_its_own_lower_limit(client, app, make_member):
    acme = make_member("acme")
    with limits(app, RATE_LIMIT_OAUTH="2 per minute"):
        auth = Auth(client)
        assert [auth.token_response(acme.assertion()).status_code for _ in range(2)] == [200, 200]
        assert_rate_limited(auth.token_response(acme.assertion()), 2)
        assert client.get("/.well-known/jwks.json").status_code == 200  # only the token endpoint


def test_appeal_pages_say_it_in_words(client, app):
    with limits(app, RATE_LIMIT_PUBLIC="1 per minute"):
        assert client.get("/appeal").status_code == 200
        page = client.get("/appeal?lang=en")
        assert page.status_code == 429 and page.mimetype == "text/html"
        assert "Too many pages were opened or sent from this network" in page.get_data(as_text=True)
        assert int(page.headers["Retry-After"]) > 0
        zh = client.get("/appeal/status")
        assert zh.status_code == 429 and "请求过于频繁" in zh.get_data(as_text=True)


def test_redis_holds_limits_keyed_by_a_tag_never_the_address(make_database_url, tmp_path, limits_redis):
    redis_client, url, prefix = limits_redis
    app = build_app(
        make_database_url("sqlite"),
        str(tmp_path),
        REDIS_URL=url,
        RATE_LIMIT_KEY_PREFIX=prefix,
        RATE_LIMIT_PUBLIC="2/minute",
    )
    with app.app_context():
        upgrade()
        client = app.test_client()
        environ = {"REMOTE_ADDR": "198.51.100.23"}
        answers = [client.get("/.well-known/jwks.json", environ_base=environ).status_code for _ in range(3)]
        assert answers == [200, 200, 429]
        # A second app on the same Redis (another worker) sees the same count.
        other = build_app(app.config["DATABASE_URL"], str(tmp_path), REDIS_URL=url, RATE_LIMIT_KEY_PREFIX=prefix)
        other.config["RATE_LIMIT_PUBLIC"] = "2/minute"
        assert other.test_client().get("/.well-known/jwks.json", environ_base=environ).status_code == 429
        _db.engine.dispose()
    keys = [key.decode() for key in redis_client.scan_iter(f"*{prefix}*")]
    assert keys and all("198.51.100.23" not in key for key in keys)
    assert any("address:" in key for key in keys)


def test_redis_down_fails_open_to_each_workers_memory(make_database_url, tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    app = build_app(
        make_database_url("sqlite"),
        str(tmp_path),
        REDIS_URL=f"redis://127.0.0.1:{closed}/0",
        RATE_LIMIT_MEMBER="3 per minute",
    )
    with app.app_context():
        upgrade()
        acme = create_member(_db.session, "acme")
        client = app.test_client()
        # The token endpoint needs Redis itself (the assertion replay store): mint the token directly.
        with app.test_request_context():
            token, _ = issue_access_token(
                auth_state().key_set,
                issuer=app.config["ISSUER"],
                member_id="acme",
                scopes=frozenset({"query"}),
                now=utcnow(),
            )
        headers = {"Authorization": f"Bearer {token}"}
        codes = [client.get("/v1/members/me", headers=headers).status_code for _ in range(4)]
        _db.engine.dispose()
    assert codes == [200, 200, 200, 429]  # still limited, in memory, and never a 500 or 503
    assert acme.member_id == "acme"


@pytest.mark.parametrize("path", ["/healthz"])
def test_exempt_endpoints_carry_no_limit(client, app, path):
    with limits(app, RATE_LIMIT_PUBLIC="1 per minute"):
        assert all(client.get(path).status_code == 200 for _ in range(3))
        assert "RateLimit-Limit" not in client.get(path).headers
