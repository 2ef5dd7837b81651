"""Retries, backoff and typed errors, against a real HTTP server scripted to fail.

The live federation server is exercised in the server's suite
(tests/sdk/); here a small stdlib server plays the failures a real
deployment produces on bad days (503s, 429s, dropped connections), which the
real server cannot be made to produce on demand.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from federation_client import FederationClient
from federation_client.errors import BadRequest, RateLimited, ServerError, TransportError
from federation_client.keys import generate_key


class Script:
    def __init__(self) -> None:
        self.responses: dict[str, list[tuple[int, dict, dict]]] = {}
        self.calls: list[tuple[str, str, dict]] = []

    def add(self, path: str, *responses: tuple[int, dict] | tuple[int, dict, dict]) -> None:
        self.responses.setdefault(path, []).extend((r[0], r[1], r[2] if len(r) > 2 else {}) for r in responses)


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            script.calls.append((self.command, self.path, dict(self.headers)))
            queue = script.responses.get(self.path) or [(404, {"code": "not_found"}, {})]
            status, body, headers = queue.pop(0) if len(queue) > 1 else queue[0]
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if status < 400 else "application/problem+json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    script.add("/v1/oauth/token", (200, {"access_token": "t1", "expires_in": 900, "token_type": "Bearer"}))
    yield f"http://127.0.0.1:{httpd.server_port}", script
    httpd.shutdown()
    httpd.server_close()


def make_client(base_url: str, **options) -> FederationClient:
    return FederationClient(base_url, "acme", generate_key(), "k1", backoff=0.001, **options)


def test_get_is_retried_through_5xx_and_uses_one_token(server):
    base_url, script = server
    script.add(
        "/v1/members/acme",
        (503, {"code": "service_unavailable"}),
        (502, {}),
        (200, {"id": "acme", "display_name": "A", "status": "active", "roles": ["query"], "trust_weight": 1.0}),
    )
    with make_client(base_url) as client:
        assert client.member().id == "acme"
    paths = [path for _, path, _ in script.calls]
    assert paths == ["/v1/oauth/token", "/v1/members/acme", "/v1/members/acme", "/v1/members/acme"]
    assert all(h.get("Authorization") == "Bearer t1" for _, p, h in script.calls if p != "/v1/oauth/token")


def test_non_idempotent_post_is_not_retried(server):
    base_url, script = server
    script.add("/v1/things", (503, {"code": "service_unavailable", "detail": "down"}))
    with make_client(base_url) as client, pytest.raises(ServerError) as caught:
        client.request("POST", "/v1/things", json={})
    assert caught.value.status == 503 and caught.value.code == "service_unavailable"
    assert [p for _, p, _ in script.calls].count("/v1/things") == 1


def test_post_marked_idempotent_is_retried(server):
    base_url, script = server
    script.add("/v1/lookups", (500, {}), (200, {"ok": True}))
    with make_client(base_url) as client:
        assert client.request("POST", "/v1/lookups", json={}, idempotent=True) == {"ok": True}


def test_rate_limit_exposes_retry_after_when_retries_run_out(server):
    base_url, script = server
    script.add("/v1/members/acme", (429, {"code": "too_many_requests"}, {"Retry-After": "0"}))
    with make_client(base_url, max_retries=1) as client, pytest.raises(RateLimited) as caught:
        client.member()
    assert caught.value.retry_after == 0.0
    assert [p for _, p, _ in script.calls].count("/v1/members/acme") == 2


def test_validation_problems_carry_field_errors(server):
    base_url, script = server
    errors = [{"location": "json", "pointer": "/tier", "detail": "bad"}]
    script.add("/v1/entries", (422, {"code": "validation_failed", "detail": "see errors", "errors": errors}))
    with make_client(base_url) as client, pytest.raises(BadRequest) as caught:
        client.request("POST", "/v1/entries", json={})
    assert caught.value.errors == errors


def test_token_retries_use_a_fresh_assertion_each_time(server):
    base_url, script = server
    script.responses["/v1/oauth/token"] = [(503, {}, {}), (200, {"access_token": "t2", "expires_in": 900}, {})]
    seen: list[str] = []
    with make_client(base_url) as client:
        original = client.client_assertion

        def spy() -> str:
            seen.append(original())
            return seen[-1]

        client.client_assertion = spy
        assert client.access_token() == "t2"
    assert len(seen) == 2 and seen[0] != seen[1]


def test_unreachable_server_raises_transport_error_after_retries():
    with make_client("http://127.0.0.1:9", max_retries=2) as client, pytest.raises(TransportError):
        client.member()


def test_the_salt_list_is_reused_for_its_ttl_then_fetched_again(server):
    base_url, script = server
    old = {"key_id": "k1", "salt_hex": "aa" * 32, "current": True, "status": "current"}
    new = {"key_id": "k2", "salt_hex": "bb" * 32, "current": True, "status": "current"}
    script.add(
        "/v1/salts",
        (200, {"current_key_id": "k1", "salts": [old]}),
        (200, {"current_key_id": "k2", "salts": [{**old, "current": False, "status": "accepted"}, new]}),
    )
    with make_client(base_url, salts_ttl=60) as client:
        key_ids = lambda: [h.key_id for h in client.hash("phone", "13800138000")[0].hashes]  # noqa: E731
        assert key_ids() == ["k1"]
        client._salts_fetched -= 59  # as if 59 seconds had passed
        assert key_ids() == ["k1"]
        assert [p for _, p, _ in script.calls].count("/v1/salts") == 1
        client._salts_fetched -= 2
        assert key_ids() == ["k2", "k1"]  # current first, the old one still hashed under
        assert [(s.key_id, s.status) for s in client.accepted_salts()] == [("k2", "current"), ("k1", "accepted")]
