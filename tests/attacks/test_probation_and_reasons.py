"""Probation bypass and admin changes without a reason (issue 13 point 4, docs/scoring.md, docs/security.md)."""

from __future__ import annotations

from sqlalchemy import select

from federation.events.models import Event
from tests.api.test_reputation import action, list_entry, looked_up, put_on_probation


def test_two_probation_members_cannot_confirm_each_others_listings(client, app, auth, make_member):
    """Broken: "Two members on probation do not lift each other, or one operator's two fresh accounts could"
    (docs/scoring.md). Corroboration honours it, confirmation does not: a fresh member holding the
    ``review`` scope confirms the other fresh member's listing (200) and it becomes a full strike
    (``warn_and_freeze``). Five such confirmations also end the lister's probation at the next tick."""
    roles = {
        "fresh-a": ["submit", "query", "review"],
        "fresh-b": ["submit", "query", "review"],
        "risk-c": ["query"],
        "root": ["admin"],
    }
    fed = {name: auth.headers(make_member(name, roles=r)) for name, r in roles.items()}
    put_on_probation(client, fed, "fresh-a")
    put_on_probation(client, fed, "fresh-b")
    ref = list_entry(client, app, fed["fresh-a"], "a1")
    confirmed = client.post(f"/v1/entries/{ref}/confirm", json={"reason": "looks fine"}, headers=fed["fresh-b"])
    assert confirmed.status_code == 403 or action(looked_up(client, app, fed)) == (
        "review",
        "probation_uncorroborated",
    ), (confirmed.status_code, action(looked_up(client, app, fed)))


def test_a_lookup_budget_override_needs_a_reason(client, db, auth, make_member):
    """Broken: "admins change it or override the budget with a reason, recorded as a member:budget_changed
    event" (docs/security.md). ``POST /v1/members/{id}/lookup-budget`` without ``reason`` raises a member
    to 2,000,000 lookups a day (200) and the event records an empty reason; trust and probation
    changes refuse the same request (422 at /reason)."""
    admin = auth.headers(make_member("root", roles=["admin"]))
    make_member("risk-c", roles=["query"])
    response = client.post("/v1/members/risk-c/lookup-budget", json={"daily_lookup_quota": 2_000_000}, headers=admin)
    events = db.session.scalars(select(Event).where(Event.tag == "member:budget_changed")).all()
    assert response.status_code == 422, (response.status_code, [e.payload for e in events])
