"""``federation disputes|appeals decide``: the operator decides as itself, or ``--as`` a reviewer member."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from federation.disputes.models import Dispute
from federation.events.service import history
from tests.api.test_appeals import appeal_body, file
from tests.api.test_disputes import digest, tick
from tests.api.test_lookups import list_entry

PHONE = "13800138000"


@pytest.fixture
def case(client, app, auth, make_member):
    """An entry of shop-a (which also reviews) disputed by risk-c; fed-review is a neutral reviewer."""
    headers = {
        name: auth.headers(make_member(name, roles=roles))
        for name, roles in [("shop-a", ["submit", "review"]), ("risk-c", ["query"]), ("fed-review", ["review"])]
    }
    entry = list_entry(client, app, headers["shop-a"], "a1", phone=PHONE)
    body = {"reason": "The buyer showed us the code was never delivered.", "evidence": [digest("c")]}
    return client.post(f"/v1/entries/{entry}/disputes", json=body, headers=headers["risk-c"]).get_json()["ref"]


def test_the_operator_decides_only_once_the_submitter_was_heard_or_with_a_reason(cli, db, case):
    assert "answer_pending" in cli("disputes", "decide", case, "rejected", "--reason", "Holds.", ok=False)
    out = cli(
        "disputes", "decide", case, "rejected", "--reason", "Holds.", "--expedite-reason", "Regulator asked today."
    )
    assert f"{case}: rejected" in out
    dispute = db.session.query(Dispute).filter_by(ref=case).one()
    assert dispute.decided_by.startswith("cli:") and dispute.expedite_reason == "Regulator asked today."
    assert history(db.session, f"dispute:{case}")[-1].payload["expedited"] is True


@pytest.mark.parametrize(
    ("as_member", "refusal"),
    [("shop-a", "conflict_of_interest"), ("risk-c", "not_a_reviewer"), ("nobody", "member_not_found")],
)
def test_deciding_as_a_member_holds_that_member_to_the_reviewers_rules(cli, db, case, as_member, refusal):
    args = ("disputes", "decide", case, "upheld", "--reason", "Stolen account.", "--expedite-reason", "ID verified.")
    assert refusal in cli(*args, "--as", as_member, ok=False)
    assert db.session.query(Dispute).filter_by(ref=case).one().state == "awaiting_answer"  # nothing written
    cli(*args, "--as", "fed-review")
    assert db.session.query(Dispute).filter_by(ref=case).one().decided_by == "fed-review"


def test_an_appeal_is_decided_at_the_console_with_the_same_rules(cli, client, db, case):
    receipt = file(client, appeal_body(PHONE)).get_json()
    tick(datetime.now(UTC))
    ref = receipt["appeal"]
    assert "answer_pending" in cli("appeals", "decide", ref, "upheld", "--reason", "Stolen.", ok=False)
    assert "conflict_of_interest" in cli(
        "appeals",
        "decide",
        ref,
        "upheld",
        "--reason",
        "Stolen.",
        "--expedite-reason",
        "ID verified.",
        "--as",
        "shop-a",
        ok=False,
    )
    out = cli("appeals", "decide", ref, "upheld", "--reason", "Stolen.", "--expedite-reason", "ID verified.")
    assert f"{ref}: upheld" in out
