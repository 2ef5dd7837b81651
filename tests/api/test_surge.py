"""Poisoning caps end to end: one member's mass listing matches only up to its own baseline.

Through the HTTP API on both backends: beyond ``max(floor, factor x median daily listings)`` in 24
hours, a member's new entries are accepted as held (cause ``volume``, shown to reviewers; the
submitter sees ``hold_reason: review``), match nothing, and raise one ``listing_surge`` alert; a
reviewer's approval makes a held one match. Concurrent batches cannot both fit under the cap.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from federation.entries.rules import SurgeRules
from tests.api.test_lookups import lookup, query
from tests.entries.factories import entry_payload, hashed


@pytest.fixture
def parties(client, app, auth, make_member):
    return {
        name: auth.headers(make_member(name, roles=roles))
        for name, roles in [
            ("shop-p", ["submit"]),
            ("shop-q", ["submit"]),
            ("risk-c", ["query"]),
            ("fed-review", ["review"]),
            ("fed-admin", ["admin"]),
        ]
    }


@pytest.fixture
def cap_at(app, monkeypatch):
    """Set the listing floor for one test (the app's policy lives for the whole session)."""

    def set_floor(floor: int) -> None:
        policy = app.extensions["federation.entries.policy"]
        monkeypatch.setitem(app.extensions, "federation.entries.policy", replace(policy, surge=SurgeRules(floor=floor)))

    return set_floor


def phone(n: int) -> str:
    return f"1370000{n:04d}"


def payloads(app, prefix: str, count: int) -> list[dict]:
    return [
        entry_payload(app, f"{prefix}-{n}", identifiers=hashed(app, "phone", phone(n)), phone=phone(n))
        for n in range(count)
    ]


def matched(client, app, headers, n: int) -> bool:
    response = lookup(client, headers, query(app, phone(n)))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["identifiers"][0]["matched"]


def surge_alerts(client, headers) -> list[dict]:
    return [a for a in client.get("/v1/alerts", headers=headers).get_json()["alerts"] if a["kind"] == "listing_surge"]


def test_one_members_mass_listing_is_capped_until_reviewed(client, app, parties):
    response = client.post(
        "/v1/entries:batch", json={"entries": payloads(app, "mass", 1000)}, headers=parties["shop-p"]
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["created"] == 1000
    states = [item["entry"]["state"] for item in body["results"]]
    assert states == ["active"] * 200 + ["held"] * 800  # LISTING_SURGE_FLOOR: a new member has no history
    held = body["results"][-1]["entry"]
    assert held["hold_reason"] == "review"  # the submitter learns nothing of the cause
    assert matched(client, app, parties["risk-c"], 0) and not matched(client, app, parties["risk-c"], 999)

    [alert] = surge_alerts(client, parties["fed-admin"])
    assert alert["member"] == "shop-p" and alert["state"] == "open"
    assert alert["details"] == {"listings_24h": 201, "cap": 200, "median_daily": 0.0, "floor": 200, "factor": 5.0}

    case = client.get(f"/v1/review/holds/{held['ref']}", headers=parties["fed-review"]).get_json()
    assert case["cause"] == "volume" and case["missing"] == []
    decided = client.post(
        f"/v1/review/holds/{held['ref']}/decision",
        json={"decision": "approve", "reason": "Checked: a real fraud ring, evidence attached."},
        headers=parties["fed-review"],
    )
    assert decided.status_code == 200, decided.get_json()
    assert matched(client, app, parties["risk-c"], 999)

    other = client.post("/v1/entries:batch", json={"entries": payloads(app, "q", 5)}, headers=parties["shop-q"])
    assert [item["entry"]["state"] for item in other.get_json()["results"]] == ["active"] * 5  # caps are per member


def test_excess_single_submissions_are_held_and_counted_on_one_alert(client, app, parties, cap_at):
    cap_at(5)
    states = []
    for payload in payloads(app, "one", 8):
        response = client.post("/v1/entries", json=payload, headers=parties["shop-p"])
        assert response.status_code == 201, response.get_json()
        states.append(response.get_json()["state"])
    assert states == ["active"] * 5 + ["held"] * 3
    again = client.post("/v1/entries", json=payloads(app, "one", 8)[7], headers=parties["shop-p"])
    assert again.status_code == 200 and again.get_json()["state"] == "held"  # a replay is not a new listing
    [alert] = surge_alerts(client, parties["fed-admin"])
    assert alert["repeats"] == 2 and alert["details"]["listings_24h"] == 6


def test_concurrent_batches_cannot_both_fit_under_the_cap(client, app, parties, cap_at):
    cap_at(30)
    bodies = [payloads(app, f"t{t}", 20) for t in range(4)]
    results: list[list[str]] = []

    def submit(entries: list[dict]) -> None:
        response = app.test_client().post("/v1/entries:batch", json={"entries": entries}, headers=parties["shop-p"])
        results.append([item["entry"]["state"] for item in response.get_json()["results"]])

    threads = [threading.Thread(target=submit, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    states = [state for batch in results for state in batch]
    assert len(states) == 80 and states.count("active") == 30 and states.count("held") == 50
    assert len(surge_alerts(client, parties["fed-admin"])) == 1
