"""Member disputes end to end: filed, answered, decided, and what each does to matching."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from flask import current_app

from federation.disputes.deadlines import apply_deadlines
from federation.events.service import history
from federation.extensions import db as _db
from tests.api.test_lookups import list_entry, lookup, query
from tests.api.test_oauth import problem

PHONE = "13800138000"


def digest(label: str) -> dict:
    return {"kind": "chat_log", "sha256": hashlib.sha256(label.encode()).hexdigest()}


@pytest.fixture
def parties(client, app, auth, make_member):
    """A submitter, a member that disputes, a reviewer, and an unrelated member."""
    return {
        name: auth.headers(make_member(name, roles=roles))
        for name, roles in [
            ("shop-a", ["submit", "query"]),
            ("risk-c", ["query"]),
            ("fed-review", ["review"]),
            ("other-d", ["query"]),
        ]
    }


@pytest.fixture
def entry(client, app, parties):
    return list_entry(client, app, parties["shop-a"], "a1")


def file(client, parties, entry, who="risk-c", **body):
    payload = {"reason": "The buyer showed us the code was never delivered.", "evidence": [digest("c")], **body}
    return client.post(f"/v1/entries/{entry}/disputes", json=payload, headers=parties[who])


def filed(client, parties, entry) -> dict:
    response = file(client, parties, entry)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def match_state(client, app, parties) -> tuple[str, float] | None:
    body = lookup(client, parties["risk-c"], query(app, PHONE)).get_json()
    hit = body["identifiers"][0]
    return (hit["matches"][0]["state"], hit["confidence"]) if hit["matched"] else None


def tick(now: datetime):
    with current_app.app_context():
        report = apply_deadlines(
            _db.session,
            now=now,
            deadlines=current_app.extensions["federation.due_process"].deadlines,
            identifier_secrets=current_app.extensions["federation.identifiers"],
        )
        _db.session.commit()
    return report


def test_a_filed_dispute_marks_the_entry_disputed_and_starts_the_clock(client, app, parties, entry):
    before = match_state(client, app, parties)
    dispute = filed(client, parties, entry)
    assert dispute["state"] == "awaiting_answer" and dispute["entry"] == entry and dispute["origin"] == "member"
    respond_by = datetime.fromisoformat(dispute["respond_by"])
    assert timedelta(days=13, hours=23) < respond_by - datetime.now(UTC) <= timedelta(days=14)
    state, confidence = match_state(client, app, parties)
    assert state == "disputed" and confidence < before[1]
    assert "shop-a" not in str(dispute) and "risk-c" not in str(dispute)  # neither party is named


def test_the_submitter_sees_the_dispute_without_learning_who_filed_it(client, parties, entry):
    ref = filed(client, parties, entry)["ref"]
    listed = client.get("/v1/disputes?role=submitter", headers=parties["shop-a"]).get_json()["disputes"]
    assert [d["ref"] for d in listed] == [ref] and "risk-c" not in str(listed)
    mine = client.get("/v1/disputes?role=filer", headers=parties["risk-c"]).get_json()["disputes"]
    assert [d["ref"] for d in mine] == [ref]
    assert client.get(f"/v1/disputes/{ref}", headers=parties["shop-a"]).status_code == 200
    assert problem(client.get(f"/v1/disputes/{ref}", headers=parties["other-d"]), 404)["code"] == "dispute_not_found"
    shown = client.get(f"/v1/disputes/{ref}", headers=parties["fed-review"]).get_json()
    assert shown["filed_by"] == "risk-c" and shown["submitted_by"] == "shop-a"  # reviewers see both


def test_a_member_cannot_dispute_its_own_entry_or_twice(client, parties, entry):
    assert problem(file(client, parties, entry, who="shop-a"), 403)["code"] == "own_entry"
    filed(client, parties, entry)
    assert problem(file(client, parties, entry), 409)["code"] == "dispute_open"
    assert problem(file(client, parties, "ENOSUCHENTRY"), 404)["code"] == "entry_not_found"
    assert file(client, parties, entry, reason="short").status_code == 422


def test_retracting_in_answer_ends_the_listing_and_the_dispute(client, app, parties, entry):
    ref = filed(client, parties, entry)["ref"]
    response = client.post(
        f"/v1/disputes/{ref}/answer", json={"answer": "retract", "note": "Our mistake."}, headers=parties["shop-a"]
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "closed" and response.get_json()["outcome"] == "retracted"
    assert match_state(client, app, parties) is None
    assert [e.tag for e in history(_db.session, f"entry:{entry}")][-1] == "entry:retracted"


def test_only_the_submitter_answers_and_keeping_a_listing_needs_evidence(client, parties, entry):
    ref = filed(client, parties, entry)["ref"]
    other = client.post(f"/v1/disputes/{ref}/answer", json={"answer": "retract"}, headers=parties["risk-c"])
    assert problem(other, 403)["code"] == "insufficient_scope"
    bare = client.post(f"/v1/disputes/{ref}/answer", json={"answer": "uphold"}, headers=parties["shop-a"])
    assert problem(bare, 422)["errors"][0]["pointer"] == "/evidence"


def test_an_upheld_dispute_delists_the_entry_at_once(client, app, parties, entry):
    ref = filed(client, parties, entry)["ref"]
    kept = client.post(
        f"/v1/disputes/{ref}/answer",
        json={"answer": "uphold", "evidence": [digest("proof")]},
        headers=parties["shop-a"],
    )
    assert kept.get_json()["state"] == "awaiting_review"
    queue = client.get("/v1/disputes?role=reviewer", headers=parties["fed-review"]).get_json()["disputes"]
    assert [d["ref"] for d in queue] == [ref]
    decision = client.post(
        f"/v1/disputes/{ref}/decision",
        json={"outcome": "upheld", "reason": "Delivery record shows a failed redemption."},
        headers=parties["fed-review"],
    )
    assert decision.status_code == 200
    body = decision.get_json()
    assert body["outcome"] == "upheld" and body["decided_by"] == "fed-review" and body["decision_reason"]
    assert match_state(client, app, parties) is None
    entry_row = client.get(f"/v1/entries/{entry}", headers=parties["shop-a"]).get_json()
    assert entry_row["state"] == "delisted"
    tags = [e.tag for e in history(_db.session, f"entry:{entry}")]
    assert tags[-1] == "entry:delisted"


def test_a_rejected_dispute_leaves_the_entry_listed(client, app, parties, entry):
    ref = filed(client, parties, entry)["ref"]
    client.post(
        f"/v1/disputes/{ref}/answer",
        json={"answer": "uphold", "evidence": [digest("proof")]},
        headers=parties["shop-a"],
    )
    decided = client.post(
        f"/v1/disputes/{ref}/decision",
        json={"outcome": "rejected", "reason": "Evidence holds."},
        headers=parties["fed-review"],
    )
    assert decided.get_json()["outcome"] == "rejected"
    assert match_state(client, app, parties)[0] == "active"
    again = client.post(
        f"/v1/disputes/{ref}/decision", json={"outcome": "upheld", "reason": "x"}, headers=parties["fed-review"]
    )
    assert problem(again, 409)["code"] == "dispute_closed"
    assert (
        problem(
            client.post(
                f"/v1/disputes/{ref}/decision", json={"outcome": "upheld", "reason": "x"}, headers=parties["risk-c"]
            ),
            403,
        )["code"]
        == "insufficient_scope"
    )


def test_no_answer_in_time_suspends_the_entry_until_a_reviewer_decides(client, app, parties, entry):
    ref = filed(client, parties, entry)["ref"]
    assert tick(datetime.now(UTC) + timedelta(days=13)).unanswered == 0
    report = tick(datetime.now(UTC) + timedelta(days=14, minutes=1))
    assert report.unanswered == 1
    state, confidence = match_state(client, app, parties)
    assert (state, confidence) == ("suspended", 0.0)  # shown, never counted
    assert tick(datetime.now(UTC) + timedelta(days=14, minutes=2)).unanswered == 0  # idempotent
    shown = client.get(f"/v1/disputes/{ref}", headers=parties["shop-a"]).get_json()
    assert shown["state"] == "awaiting_review" and shown["entry_suspended_at"]
    late = client.post(f"/v1/disputes/{ref}/answer", json={"answer": "retract"}, headers=parties["shop-a"])
    assert problem(late, 409)["code"] == "dispute_answered"
    client.post(
        f"/v1/disputes/{ref}/decision",
        json={"outcome": "rejected", "reason": "Listing holds."},
        headers=parties["fed-review"],
    )
    assert match_state(client, app, parties)[0] == "active"
    tags = [e.tag for e in history(_db.session, f"entry:{entry}")]
    assert tags[-2:] == ["entry:suspended", "entry:reinstated"]


def test_a_review_not_decided_in_time_suspends_the_entry_and_is_flagged(client, app, parties, entry, cli, monkeypatch):
    ref = filed(client, parties, entry)["ref"]
    client.post(
        f"/v1/disputes/{ref}/answer", json={"answer": "uphold", "evidence": [digest("p")]}, headers=parties["shop-a"]
    )
    assert tick(datetime.now(UTC) + timedelta(days=29)).review_overdue == 0
    queue = client.get("/v1/disputes?role=reviewer", headers=parties["fed-review"]).get_json()["disputes"]
    assert [d["overdue"] for d in queue] == [False]
    assert tick(datetime.now(UTC) + timedelta(days=30, minutes=1)).review_overdue == 1
    assert match_state(client, app, parties)[0] == "suspended"
    tags = [e.tag for e in history(_db.session, f"dispute:{ref}")]
    assert "dispute:review_overdue" in tags
    later = datetime.now(UTC) + timedelta(days=30, minutes=1)
    monkeypatch.setattr("federation.api.schemas.disputes.utcnow", lambda: later)
    monkeypatch.setattr("federation.cli.due_process.utcnow", lambda: later)
    queue = client.get("/v1/disputes?role=reviewer", headers=parties["fed-review"]).get_json()["disputes"]
    assert [d["overdue"] for d in queue] == [True] and "OVERDUE" in cli("disputes", "queue")
    assert "overdue" not in client.get(f"/v1/disputes/{ref}", headers=parties["shop-a"]).get_json()


def test_a_dispute_of_an_entry_retracted_meanwhile_closes_as_moot(client, app, parties, entry):
    ref = filed(client, parties, entry)["ref"]
    client.post(f"/v1/entries/{entry}/retract", json={"reason": "duplicate"}, headers=parties["shop-a"])
    assert tick(datetime.now(UTC)).moot == 1
    assert client.get(f"/v1/disputes/{ref}", headers=parties["risk-c"]).get_json()["outcome"] == "moot"


def test_the_response_deadline_is_configurable(app):
    from federation.disputes.service import Deadlines

    assert Deadlines.from_config({**app.config, "DISPUTE_RESPONSE_DAYS": 7, "REVIEW_DECISION_DAYS": 21}) == Deadlines(
        7, 21
    )
