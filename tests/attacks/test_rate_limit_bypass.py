"""Rate limits from outside (issue 13 point 1): spoofed addresses, other methods and paths, the 429's shape."""

from __future__ import annotations

import pytest

from tests.api.test_ratelimits import limits

PROBLEM = "application/problem+json"


def test_spoofed_forwarded_for_does_not_buy_a_fresh_public_budget(client, app):
    """Held: without TRUSTED_PROXIES the X-Forwarded-For / X-Real-IP / Forwarded headers are ignored."""
    with limits(app, RATE_LIMIT_PUBLIC="3 per minute"):
        codes = [
            client.get(
                "/.well-known/jwks.json",
                headers={
                    "X-Forwarded-For": f"203.0.113.{i}",
                    "X-Real-IP": f"198.51.100.{i}",
                    "Forwarded": f"for=192.0.2.{i}",
                },
            ).status_code
            for i in range(5)
        ]
    assert codes == [200, 200, 200, 429, 429]


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS"])
def test_other_methods_share_the_public_budget(client, app, method):
    """Held: HEAD and OPTIONS count against the same per-address limit."""
    with limits(app, RATE_LIMIT_PUBLIC="2 per minute"):
        for _ in range(3):
            client.open("/.well-known/jwks.json", method=method)
        assert client.get("/.well-known/jwks.json").status_code == 429


def test_path_variants_share_the_public_budget(client, app):
    """Held: query-string variants share the path's budget (other spellings, a trailing slash or another case,
    are 404s that reach no view)."""
    with limits(app, RATE_LIMIT_PUBLIC="3 per minute"):
        for path in ("/.well-known/jwks.json?x=1", "/.well-known/jwks.json?y=2", "/.well-known/jwks.json?"):
            client.get(path)
        assert client.get("/.well-known/jwks.json").status_code == 429
