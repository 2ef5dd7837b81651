"""Daily lookup budgets and bursts (``lookups/budget.py``) and purpose-bound lookups, through the HTTP API."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from federation.events.models import Event
from federation.lookups.budget import BudgetPolicy
from federation.lookups.budget_redis import RedisCounter
from federation.lookups.models import LookupRecord
from tests.entries.factories import hashed


@pytest.fixture
def risk(client, auth, make_member):
    return auth.headers(make_member("risk-c", roles=["query"]))


@pytest.fixture
def admin(client, auth, make_member):
    return auth.headers(make_member("ops", roles=["admin"]))


@contextmanager
def policy(app, **values):
    """This app's budget policy changed for one test (it is read from the config once, at start)."""
    budget = app.extensions["federation.lookups"].budget
    previous = budget.policy
    object.__setattr__(budget, "policy", BudgetPolicy(**{**vars_of(previous), **values}))
    try:
        yield
    finally:
        object.__setattr__(budget, "policy", previous)


@contextmanager
def counter(app, replacement):
    budget = app.extensions["federation.lookups"].budget
    previous = budget.counter
    object.__setattr__(budget, "counter", replacement)
    try:
        yield
    finally:
        object.__setattr__(budget, "counter", previous)


def vars_of(policy_: BudgetPolicy) -> dict:
    return {name: getattr(policy_, name) for name in ("floor", "multiplier", "burst_floor", "burst_share")}


def identifiers(app, count: int) -> list[dict]:
    return [hashed(app, "phone", f"139{n:08d}")[0] for n in range(count)]


def lookup(client, headers, items, reference="CMP-2026-0001", purpose="complaint_intake"):
    body = {"purpose": purpose, "reference": reference, "identifiers": items}
    return client.post("/v1/lookups", json=body, headers=headers)


def set_budget(client, admin, member_id, **body):
    body.setdefault("reason", "limits under test")
    return client.post(f"/v1/members/{member_id}/lookup-budget", json=body, headers=admin)


def test_the_budget_is_sized_from_the_declared_volume_and_shown_to_the_member(client, app, risk, admin):
    with policy(app, floor=10, multiplier=2.0, burst_floor=5, burst_share=0.5):
        me = client.get("/v1/members/me", headers=risk).get_json()
        assert me["lookup_budget"]["daily"] == 10  # nothing declared: the floor, never unlimited
        assert set_budget(client, admin, "risk-c", declared_daily_lookups=20, reason="contract").status_code == 200
        me = client.get("/v1/members/me", headers=risk).get_json()
        assert me["declared_daily_lookups"] == 20 and me["daily_lookup_quota"] is None
        budget = me["lookup_budget"]
        assert (budget["daily"], budget["burst_per_minute"], budget["overridden"]) == (40, 40, False)
        assert (budget["used_today"], budget["used_this_minute"]) == (0, 0)
        assert budget["resets_at"].endswith("T00:00:00+00:00")

        assert lookup(client, risk, identifiers(app, 30)).status_code == 200
        refused = lookup(client, risk, identifiers(app, 11))
        assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
        assert refused.get_json()["code"] == "quota_exceeded"
        assert 0 < int(refused.headers["Retry-After"]) <= 86400
        assert lookup(client, risk, identifiers(app, 10)).status_code == 200  # the refusal cost nothing
        assert client.get("/v1/members/me", headers=risk).get_json()["lookup_budget"]["used_today"] == 40


def test_an_admin_override_wins_and_is_audited(client, app, db, risk, admin):
    with policy(app, floor=1000):
        assert set_budget(client, admin, "risk-c", daily_lookup_quota=3, reason="sweep suspected").status_code == 200
        assert lookup(client, risk, identifiers(app, 3)).status_code == 200
        assert lookup(client, risk, identifiers(app, 1)).get_json()["code"] == "quota_exceeded"
        assert client.get("/v1/members/me", headers=risk).get_json()["lookup_budget"]["overridden"] is True
        assert set_budget(client, admin, "risk-c", daily_lookup_quota=None).get_json()["daily_lookup_quota"] is None
        assert lookup(client, risk, identifiers(app, 1)).status_code == 200
    events = db.session.scalars(select(Event).where(Event.tag == "member:budget_changed").order_by(Event.id)).all()
    assert [e.payload["daily_lookup_quota"]["to"] for e in events] == [3, None]
    assert events[0].payload["reason"] == "sweep suspected" and events[0].actor == "ops"
    assert set_budget(client, risk, "risk-c", daily_lookup_quota=10**6).status_code == 403  # admins only
    assert set_budget(client, admin, "risk-c", daily_lookup_quota=-1).status_code == 422
    assert set_budget(client, admin, "nobody", daily_lookup_quota=1).status_code == 404


def test_a_burst_is_refused_until_the_next_minute(client, app, risk):
    with policy(app, floor=100_000, burst_floor=1000, burst_share=0.0):
        assert client.get("/v1/members/me", headers=risk).get_json()["lookup_budget"]["burst_per_minute"] == 1000
        first = lookup(client, risk, identifiers(app, 600))
        assert first.status_code == 200 and "Retry-After" not in first.headers
        assert (first.headers["RateLimit-Limit"], first.headers["RateLimit-Remaining"]) == ("1000", "400")
        assert 0 < int(first.headers["RateLimit-Reset"]) <= 60
        refused = lookup(client, risk, identifiers(app, 600))
        assert refused.status_code == 429 and refused.get_json()["code"] == "burst_exceeded"
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        assert lookup(client, risk, identifiers(app, 400)).status_code == 200


def test_a_refused_lookup_matches_nothing_and_leaves_no_audit_row(client, app, db, risk, admin):
    set_budget(client, admin, "risk-c", daily_lookup_quota=2)
    assert lookup(client, risk, identifiers(app, 2), reference="CMP-7").status_code == 200
    assert lookup(client, risk, identifiers(app, 1), reference="CMP-8").status_code == 429
    app.extensions["federation.lookups.audit"].flush()
    rows = db.session.scalars(select(LookupRecord)).all()
    assert [(r.reference, r.identifiers, r.purpose) for r in rows] == [("CMP-7", 2, "complaint_intake")]


def test_concurrent_lookups_never_take_the_budget_over(client, app, live_server, risk, admin):
    """Many threads on a live server: accepted identifiers never exceed the budget (memory counter)."""
    import requests

    set_budget(client, admin, "risk-c", daily_lookup_quota=50)
    items = identifiers(app, 3)
    codes: list[int] = []

    def hammer() -> None:
        with requests.Session() as session:
            for _ in range(5):
                body = {"purpose": "order_screening", "reference": "ORD-1", "identifiers": items}
                codes.append(session.post(f"{live_server}/v1/lookups", json=body, headers=risk).status_code)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(codes) == {200, 429} and codes.count(200) == 16  # 16 x 3 = 48 <= 50 < 17 x 3


def test_two_workers_share_one_budget_in_redis(client, app, live_server, risk, admin, limits_redis):
    """Two workers' counters on one Redis, many threads each, and HTTP through a live server: one budget."""
    import redis
    import requests

    redis_client, url, prefix = limits_redis
    set_budget(client, admin, "risk-c", daily_lookup_quota=60)
    workers = [RedisCounter(redis.Redis.from_url(url), prefix) for _ in range(2)]
    items = identifiers(app, 4)
    codes: list[int] = []

    def hammer() -> None:
        with requests.Session() as session:
            for _ in range(4):
                body = {"purpose": "order_screening", "reference": "ORD-1", "identifiers": items}
                codes.append(session.post(f"{live_server}/v1/lookups", json=body, headers=risk).status_code)

    for worker in workers:  # each worker serves a burst of threads; they share the count in Redis
        with counter(app, worker):
            threads = [threading.Thread(target=hammer) for _ in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    assert codes.count(200) == 15  # 15 x 4 = 60: exactly the budget, never more
    with counter(app, workers[1]):
        assert client.get("/v1/members/me", headers=risk).get_json()["lookup_budget"]["used_today"] == 60


def test_purpose_and_reference_are_required_and_checked(client, app, risk):
    items = identifiers(app, 1)
    missing = client.post("/v1/lookups", json={"purpose": "complaint_intake", "identifiers": items}, headers=risk)
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["pointer"] == "/reference"
    personal = lookup(client, risk, items, reference="13800138000")
    assert personal.status_code == 422 and "personal identifier" in personal.get_json()["errors"][0]["detail"]
    old = lookup(client, risk, items, purpose="account_review")
    assert old.status_code == 422 and old.get_json()["errors"][0]["pointer"] == "/purpose"
    ok = lookup(client, risk, items, reference="ORD-2026-11-30-0042", purpose="order_screening")
    assert ok.status_code == 200 and ok.get_json()["reference"] == "ORD-2026-11-30-0042"


def test_the_declared_volume_is_set_at_admission(client, admin):
    body = {"id": "new-shop", "display_name": "New shop", "roles": ["query"], "declared_daily_lookups": 5000}
    created = client.post("/v1/members", json=body, headers=admin)
    assert created.status_code == 201 and created.get_json()["declared_daily_lookups"] == 5000


def test_the_cli_sets_and_shows_budgets(cli, make_member):
    make_member("risk-c")
    assert "declared 1000" in cli("members", "budget", "risk-c", "--declared", "1000", "--reason", "contract")
    assert "quota 50" in cli("members", "budget", "risk-c", "--quota", "50", "--reason", "trial")
    assert "quota -" in cli("members", "budget", "risk-c", "--quota", "none", "--reason", "trial over")
    assert '"declared_daily_lookups": 1000' in cli("members", "show", "risk-c")
