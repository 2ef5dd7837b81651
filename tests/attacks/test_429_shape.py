"""The shape of a lookup's 429 (issue 13 point 1: problem+json with Retry-After and the RateLimit-* headers)."""

from __future__ import annotations

import pytest

from tests.api.test_lookup_budgets import policy
from tests.api.test_sweeps import random_phones
from tests.entries.factories import hashed

PROBLEM = "application/problem+json"


@pytest.fixture
def querier(client, auth, make_member):
    return auth.headers(make_member("risk-c", roles=["query"])), auth.headers(make_member("root", roles=["admin"]))


def _lookup(client, headers, identifiers):
    return client.post(
        "/v1/lookups",
        json={"purpose": "order_screening", "reference": "ORD-1", "identifiers": identifiers},
        headers=headers,
    )


def test_a_lookup_budget_refusal_carries_the_ratelimit_headers(client, app, querier):
    """Broken: "429 problem+json with Retry-After and the RateLimit-* headers" (issue 13 point 1;
    docs/security.md: "A refusal is 429 problem+json ... with Retry-After and RateLimit-Limit,
    RateLimit-Remaining, RateLimit-Reset"). The lookup budget's own refusals (``burst_exceeded``,
    ``quota_exceeded``) carry ``Retry-After`` only: lookups are exempt from flask-limiter and the
    budget's 429 never gets the headers its 200s have."""
    headers, _ = querier
    with policy(app, floor=2000, burst_floor=1000):
        ok = _lookup(client, headers, random_phones(app, 1000, seed=21))
        assert ok.status_code == 200 and "RateLimit-Limit" in ok.headers
        refused = _lookup(client, headers, hashed(app, "phone", "13912345678"))
    assert refused.status_code == 429 and refused.mimetype == PROBLEM
    assert refused.get_json()["code"] == "burst_exceeded" and int(refused.headers["Retry-After"]) > 0
    missing = [h for h in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset") if h not in refused.headers]
    assert missing == [], f"429 {refused.get_json()['code']} lacks {missing}"
