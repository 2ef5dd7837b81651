"""Retries, backoff and typed errors, against a real HTTP server scripted to fail.

The live federation server is exercised in the server's suite
(tests/sdk/); here a small stdlib server plays the failures a real
deployment produces on bad days (503s, 429s, dropped connections), which the
real server cannot be made to produce on demand: answers that come too
late, a port that refuses connections for a few seconds, then listens.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from federation_client import FederationClient
from federation_client.errors import BadRequest, RateLimited, RequestTimeout, ServerError, TransportError
from federation_client.keys import generate_key


class Script:
    def __init__(self) -> None:
        self.responses: dict[str, list[tuple[int, dict, dict]]] = {}
        self.calls: list[tuple[str, str, dict]] = []
        #: Seconds to sleep before answering, per path, one per call (then no sleep).
        self.sleeps: dict[str, list[float]] = {}

    def add(self, path: str, *responses: tuple[int, dict] | tuple[int, dict, dict]) -> None:
        self.responses.setdefault(path, []).extend((r[0], r[1], r[2] if len(r) > 2 else {}) for r in responses)


def serve_script(script: Script, port: int = 0) -> ThreadingHTTPServer:
    """A stdlib HTTP server answering from ``script``, serving in a thread."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            script.calls.append((self.command, self.path, dict(self.headers)))
            if script.sleeps.get(self.path):
                time.sleep(script.sleeps[self.path].pop(0))
            queue = script.responses.get(self.path) or [(404, {"code": "not_found"}, {})]
            status, body, headers = queue.pop(0) if len(queue) > 1 else queue[0]
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if status < 400 else "application/problem+json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            try:
                self.wfile.write(payload)
            except BrokenPipeError:  # the client gave up waiting (a read-timeout test): nothing to answer
                pass

        do_GET = do_POST = _answer  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer.allow_reuse_address = True
    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    script.add("/v1/oauth/token", (200, {"access_token": "t1", "expires_in": 900, "token_type": "Bearer"}))
    return httpd


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()
    httpd = serve_script(script)
    yield f"http://127.0.0.1:{httpd.server_port}", script
    httpd.shutdown()
    httpd.server_close()


def make_client(base_url: str, **options) -> FederationClient:
    return FederationClient(base_url, "acme", generate_key(), "k1", **{"backoff": 0.001, **options})


MEMBER = {"id": "acme", "display_name": "A", "status": "active", "roles": ["query"], "trust_weight": 1.0}


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


def test_a_spent_daily_budget_is_not_retried(server):
    """``Retry-After`` until midnight is beyond any retry budget: the SDK gives up at once."""
    base_url, script = server
    script.add("/v1/lookups", (429, {"code": "quota_exceeded"}, {"Retry-After": "40000"}))
    began = time.monotonic()
    with make_client(base_url, max_retries=3) as client, pytest.raises(RateLimited) as caught:
        client.lookup([], reference="CMP-1")
    assert time.monotonic() - began < 1.0 and caught.value.code == "quota_exceeded"
    assert caught.value.retry_after == 40000.0
    assert [p for _, p, _ in script.calls].count("/v1/lookups") == 1


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


# -- faults: slow answers, refused connections, the retry budget --------------------------------------
def test_a_read_timeout_is_retried_like_a_connection_error(server):
    base_url, script = server
    script.add("/v1/members/acme", (200, MEMBER))
    script.sleeps["/v1/members/acme"] = [1.0]  # the first answer comes too late
    with make_client(base_url, timeout=0.3) as client:
        assert client.member().id == "acme"
    assert [p for _, p, _ in script.calls].count("/v1/members/acme") == 2


@pytest.mark.parametrize("idempotent", [True, False])
def test_read_timeouts_surface_as_request_timeout_when_retries_run_out(server, idempotent):
    base_url, script = server
    script.add("/v1/lookups", (200, {}))
    script.sleeps["/v1/lookups"] = [0.5] * 5
    with make_client(base_url, timeout=0.1, max_retries=2) as client, pytest.raises(RequestTimeout) as caught:
        client.request("POST", "/v1/lookups", json={}, idempotent=idempotent)
    assert isinstance(caught.value, TransportError) and "0.1 s" in str(caught.value)
    assert [p for _, p, _ in script.calls].count("/v1/lookups") == (3 if idempotent else 1)


def test_the_sdks_lookups_and_submissions_retry_through_a_timeout(server):
    """Lookups only read; submissions are deduplicated by case_ref: both are safe to send again."""
    base_url, script = server
    entry = {"ref": "e1", "case_ref": "c1", "category": "refund_after_use", "tier": 1, "state": "active"}
    script.add("/v1/entries", (201, entry))
    script.add("/v1/lookups", (200, {"hits": 0, "identifiers": [], "subjects": []}))
    script.sleeps.update({"/v1/entries": [1.0], "/v1/lookups": [1.0]})
    with make_client(base_url, timeout=0.3) as client:
        assert client.submit_entry({"case_ref": "c1"}).ref == "e1"
        assert client.lookup([], reference="CMP-1").hits == 0
    paths = [p for _, p, _ in script.calls]
    assert paths.count("/v1/entries") == 2 and paths.count("/v1/lookups") == 2


def test_the_time_budget_stops_retries_that_could_not_finish_in_it(server):
    base_url, script = server
    script.add("/v1/members/acme", (503, {"code": "database_unavailable"}, {"Retry-After": "3"}))
    began = time.monotonic()
    with make_client(base_url, retry_budget=1.0) as client, pytest.raises(ServerError) as caught:
        client.member()
    assert time.monotonic() - began < 1.0  # a 3 s wait would overrun the budget: not started
    assert caught.value.code == "database_unavailable"
    assert [p for _, p, _ in script.calls].count("/v1/members/acme") == 1


def test_by_default_a_few_seconds_of_outage_are_ridden_out():
    """Connections refused for 3 s (the server restarting), then a 503 with Retry-After, then the answer."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = Script()
    script.add("/v1/members/acme", (503, {"code": "database_unavailable"}, {"Retry-After": "1"}), (200, MEMBER))
    started: list[ThreadingHTTPServer] = []
    timer = threading.Timer(3.0, lambda: started.append(serve_script(script, port)))
    timer.start()
    try:
        client = FederationClient(f"http://127.0.0.1:{port}", "acme", generate_key(), "k1")  # default budget
        with client:
            assert client.member().id == "acme"
    finally:
        timer.join()
        for httpd in started:
            httpd.shutdown()
            httpd.server_close()
    assert [p for _, p, _ in script.calls] == ["/v1/oauth/token", "/v1/members/acme", "/v1/members/acme"]
