"""Neither party ever learns the other: every member-facing answer is scanned for the other's id.

One run through every course a case can take (a retraction in answer, a rejection, an appeal
upheld after the submitter was heard, a deadline reminder), with both members' webhooks
listening; then every response and webhook body each member received is searched for the
other member's id and the reviewer's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.api.test_appeals import appeal_body, file
from tests.api.test_changes import Receiver, dispatch
from tests.api.test_disputes import digest, tick
from tests.api.test_lookups import list_entry

PHONES = ("13800138001", "13800138002", "13800138003")


@pytest.fixture
def receivers():
    made = {name: Receiver() for name in ("shop-a", "risk-c")}
    yield made
    for receiver in made.values():
        receiver.server.shutdown()
        receiver.server.server_close()


def test_no_member_facing_answer_names_the_other_party_or_the_reviewer(client, app, auth, make_member, receivers):
    who = {
        name: auth.headers(make_member(name, roles=roles))
        for name, roles in [("shop-a", ["submit", "query"]), ("risk-c", ["query"]), ("fed-review", ["review"])]
    }
    seen: dict[str, list] = {"shop-a": [], "risk-c": []}

    def call(member: str, method: str, url: str, **kwargs):
        response = client.open(url, method=method, headers=who[member], **kwargs)
        assert response.status_code < 400, (url, response.get_json())
        seen[member].append(response.get_json())
        return response.get_json()

    for name, receiver in receivers.items():
        call(name, "POST", f"/v1/members/{name}/webhooks", json={"url": receiver.url})
    retracted, rejected, appealed = (
        list_entry(client, app, who["shop-a"], f"a{n}", phone=p) for n, p in enumerate(PHONES)
    )
    reason = {"reason": "The buyer showed us the code was never delivered.", "evidence": [digest("c")]}
    kept = {"answer": "uphold", "note": "Log attached.", "evidence": [digest("proof")]}

    first = call("risk-c", "POST", f"/v1/entries/{retracted}/disputes", json=reason)["ref"]
    call("shop-a", "POST", f"/v1/disputes/{first}/answer", json={"answer": "retract", "note": "Our mistake."})
    assert call("risk-c", "GET", f"/v1/disputes/{first}")["decided_by_role"] == "submitter"  # was shop-a's id

    second = call("risk-c", "POST", f"/v1/entries/{rejected}/disputes", json=reason)["ref"]
    tick(datetime.now(UTC) + timedelta(days=11, hours=12))  # the answer deadline is near: a reminder
    call("shop-a", "POST", f"/v1/disputes/{second}/answer", json=kept)
    client.post(
        f"/v1/disputes/{second}/decision", json={"outcome": "rejected", "reason": "Holds."}, headers=who["fed-review"]
    )

    receipt = file(client, appeal_body(PHONES[2])).get_json()
    tick(datetime.now(UTC))
    [case] = call("shop-a", "GET", "/v1/disputes?role=submitter&open=true")["disputes"]
    call("shop-a", "POST", f"/v1/disputes/{case['ref']}/answer", json=kept)
    decided = client.post(
        f"/v1/appeals/{receipt['appeal']}/decision",
        json={"decision": "upheld", "reason": "Stolen account."},
        headers=who["fed-review"],
    )
    assert decided.status_code == 200, decided.get_json()

    for member, role in (("shop-a", "submitter"), ("risk-c", "filer")):
        listed = call(member, "GET", f"/v1/disputes?role={role}")["disputes"]
        for shown in listed:
            call(member, "GET", f"/v1/disputes/{shown['ref']}")
        call(member, "GET", "/v1/changes")
    dispatch(datetime.now(UTC))
    for name, receiver in receivers.items():
        seen[name] += [json.loads(body) for _, body in receiver.received]
    appellant = client.get(f"/v1/appeals/{receipt['appeal']}", headers={"Appeal-Token": receipt["status_token"]})

    told = json.dumps(seen["shop-a"])
    assert "dispute_opened" in told and "dispute_deadline_near" in told and "decided_by_role" in told  # it was told
    assert "risk-c" not in told and "fed-review" not in told
    assert "shop-a" not in json.dumps(seen["risk-c"]) and "fed-review" not in json.dumps(seen["risk-c"])
    assert not {"shop-a", "risk-c", "fed-review"} & set(appellant.get_data(as_text=True).split('"'))
