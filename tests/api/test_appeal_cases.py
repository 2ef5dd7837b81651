"""An appeal cannot be squatted: a second person appealing about the same identifier joins the open
case; the reviewer decides the case once, and every appellant reads the decision."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.api.test_appeals import LISTED, appeal_body, file, status
from tests.api.test_disputes import tick
from tests.api.test_lookups import list_entry
from tests.api.test_oauth import problem


@pytest.fixture
def listing(client, app, auth, make_member):
    """An entry on ``LISTED`` by shop-a, and a reviewer."""
    headers = {
        name: auth.headers(make_member(name, roles=[role]))
        for name, role in [("shop-a", "submit"), ("fed-review", "review")]
    }
    list_entry(client, app, headers["shop-a"], "a1", phone=LISTED)
    return headers


def queue(client, listing):
    return client.get("/v1/review/appeals", headers=listing["fed-review"]).get_json()


def decide(client, listing, ref: str, decision: str = "upheld"):
    return client.post(
        f"/v1/appeals/{ref}/decision",
        json={
            "decision": decision,
            "reason": "The account was stolen; both statements agree.",
            "expedite_reason": "Both appellants proved the account was stolen; no answer can change that.",
        },
        headers=listing["fed-review"],
    )


def test_a_second_appellant_is_not_refused_and_joins_the_open_case(client, listing):
    squatter = file(client, appeal_body(LISTED, contact="squatter@example.cn", video="fake")).get_json()
    second = file(client, appeal_body(LISTED, video="real"))
    assert second.status_code == 202 and sorted(second.get_json()) == ["appeal", "state", "status_token"]
    owner = second.get_json()
    tick(datetime.now(UTC))
    shown = queue(client, listing)
    assert [case["appeals"] for case in shown["cases"]] == [[squatter["appeal"], owner["appeal"]]]
    assert len(shown["cases"][0]["disputes"]) == 1  # one dispute of the entry, not one per appellant
    assert {a["case"] for a in shown["appeals"]} == {squatter["appeal"]}
    assert "case" not in status(client, owner).get_json()  # an appellant never learns of the other


def test_the_decision_applies_to_every_appeal_of_the_case(client, app, listing):
    first = file(client, appeal_body(LISTED, contact="first@example.cn", video="one")).get_json()
    second = file(client, appeal_body(LISTED, video="two")).get_json()
    tick(datetime.now(UTC))
    decided = decide(client, listing, second["appeal"])
    assert decided.status_code == 200, decided.get_json()
    for receipt in (first, second):
        shown = status(client, receipt).get_json()
        assert shown["state"] == "upheld" and shown["decision_reason"].startswith("The account was stolen")
    assert queue(client, listing)["cases"] == []
    assert problem(decide(client, listing, first["appeal"]), 409)["code"] == "appeal_state"


def test_an_appeal_bridging_two_cases_merges_them(client, listing):
    phone = file(client, appeal_body(LISTED, video="p")).get_json()
    email = file(
        client, appeal_body(LISTED, identifiers=[{"type": "email", "value": "me@example.cn"}], video="e")
    ).get_json()
    tick(datetime.now(UTC))
    assert len(queue(client, listing)["cases"]) == 2
    both = [{"type": "phone", "value": LISTED}, {"type": "email", "value": "me@example.cn"}]
    bridge = file(client, appeal_body(LISTED, identifiers=both, video="b")).get_json()
    tick(datetime.now(UTC))
    cases = queue(client, listing)["cases"]
    assert [case["appeals"] for case in cases] == [[phone["appeal"], email["appeal"], bridge["appeal"]]]
    assert cases[0]["case"] == phone["appeal"]


def test_an_appeal_filed_after_matching_joins_the_case_at_the_next_tick(client, listing):
    first = file(client, appeal_body(LISTED, video="one")).get_json()
    tick(datetime.now(UTC))
    late = file(client, appeal_body(LISTED, video="late")).get_json()
    tick(datetime.now(UTC))
    assert [case["appeals"] for case in queue(client, listing)["cases"]] == [[first["appeal"], late["appeal"]]]
    assert decide(client, listing, first["appeal"], "rejected").status_code == 200
    assert status(client, late).get_json()["state"] == "rejected"


def test_when_the_listing_is_withdrawn_every_appeal_of_the_case_closes(client, listing):
    receipts = [file(client, appeal_body(LISTED, video=f"v{n}")).get_json() for n in range(2)]
    tick(datetime.now(UTC))
    dispute = queue(client, listing)["cases"][0]["disputes"][0]
    answered = client.post(
        f"/v1/disputes/{dispute}/answer", json={"answer": "retract", "note": "Our mistake."}, headers=listing["shop-a"]
    )
    assert answered.status_code == 200, answered.get_json()
    assert {status(client, r).get_json()["state"] for r in receipts} == {"upheld"}


def test_a_listing_made_while_the_appeal_is_open_joins_the_case_and_ends_with_it(
    client, app, auth, make_member, listing
):
    """Listing the person again during their appeal neither escapes the decision nor strikes meanwhile."""
    from tests.api.test_lookups import lookup, query

    shop_b = auth.headers(make_member("shop-b", roles=["submit", "query"]))
    receipt = file(client, appeal_body(LISTED)).get_json()
    tick(datetime.now(UTC))
    late = list_entry(client, app, shop_b, "b1", phone=LISTED)
    assert problem(decide(client, listing, receipt["appeal"]), 409)["code"] == "case_changed"
    tick(datetime.now(UTC))
    hit = lookup(client, shop_b, query(app, LISTED, subject="p")).get_json()
    assert {m["ref"]: m["state"] for m in hit["identifiers"][0]["matches"]}[late] == "disputed"
    assert hit["subjects"][0]["recommended_action"]["action"] == "review"  # no strike while contested
    assert decide(client, listing, receipt["appeal"]).status_code == 200
    assert lookup(client, shop_b, query(app, LISTED)).get_json()["hits"] == 0
