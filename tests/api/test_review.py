"""Reviewers: no judge in their own cause, the submitter heard first, and the whole case to read."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from federation.disputes.models import Dispute
from federation.events.service import history
from federation.extensions import db as _db
from tests.api.test_appeals import appeal_body
from tests.api.test_disputes import digest, tick
from tests.api.test_lookups import list_entry
from tests.api.test_oauth import problem

PHONE = "13800138000"
VIDEO = b"\x00\x00\x00 ftypmp42 handheld ID of the appellant"


@pytest.fixture
def people(client, app, auth, make_member):
    """Two submitting members that also review, a member that disputes and reviews, a neutral reviewer."""
    headers = {
        name: auth.headers(make_member(name, roles=roles))
        for name, roles in [
            ("shop-a", ["submit", "query", "review"]),
            ("shop-b", ["submit", "query"]),
            ("risk-c", ["query", "review"]),
            ("fed-review", ["review"]),
        ]
    }
    headers["entry"] = list_entry(client, app, headers["shop-a"], "a1", phone=PHONE)
    return headers


def dispute(client, people, who="risk-c") -> str:
    body = {"reason": "The buyer showed us the code was never delivered.", "evidence": [digest("c")]}
    response = client.post(f"/v1/entries/{people['entry']}/disputes", json=body, headers=people[who])
    assert response.status_code == 201, response.get_json()
    return response.get_json()["ref"]


def answer(client, submitter, ref):
    body = {"answer": "uphold", "note": "Redemption log attached.", "evidence": [digest("proof")]}
    response = client.post(f"/v1/disputes/{ref}/answer", json=body, headers=submitter)
    assert response.status_code == 200, response.get_json()


def decide(client, people, ref, who="fed-review", outcome="rejected", **extra):
    body = {"outcome": outcome, "reason": "The redemption log holds.", **extra}
    return client.post(f"/v1/disputes/{ref}/decision", json=body, headers=people[who])


def appeal(client, phone=PHONE) -> str:
    body = appeal_body(phone, evidence=[{"kind": "id_video", "sha256": hashlib.sha256(VIDEO).hexdigest()}])
    sent = client.post(
        "/v1/appeals",
        data={"appeal": json.dumps(body), "files": (io.BytesIO(VIDEO), "id.mp4")},
        content_type="multipart/form-data",
        environ_base={"REMOTE_ADDR": "192.0.2.44"},
    )
    assert sent.status_code == 202, sent.get_json()
    tick(datetime.now(UTC))
    return sent.get_json()["appeal"]


def decide_appeal(client, people, ref, who="fed-review", decision="upheld", **extra):
    body = {"decision": decision, "reason": "The video matches the ID; the account was stolen.", **extra}
    return client.post(f"/v1/appeals/{ref}/decision", json=body, headers=people[who])


# -- no judge in their own cause ---------------------------------------------------------------------
@pytest.mark.parametrize("conflicted", ["shop-a", "risk-c"])  # listed the entry / filed the dispute
def test_a_reviewer_cannot_decide_a_dispute_its_member_is_party_to(client, people, conflicted):
    ref = dispute(client, people)
    answer(client, people["shop-a"], ref)
    assert problem(decide(client, people, ref, who=conflicted), 403)["code"] == "conflict_of_interest"
    # Not in its review queue at all (it follows the case as a party: role=submitter or filer).
    assert client.get("/v1/disputes?role=reviewer", headers=people[conflicted]).get_json()["disputes"] == []
    assert decide(client, people, ref).status_code == 200  # a neutral reviewer may


def test_a_reviewer_cannot_decide_an_appeal_that_matched_an_entry_of_its_own_member(client, app, people):
    list_entry(client, app, people["shop-b"], "b1", phone=PHONE)  # the appeal matches both members' entries
    ref = appeal(client)
    for submitter in people["shop-a"], people["shop-b"]:
        for case in client.get("/v1/disputes?role=submitter&open=true", headers=submitter).get_json()["disputes"]:
            answer(client, submitter, case["ref"])
    assert problem(decide_appeal(client, people, ref, who="shop-a"), 403)["code"] == "conflict_of_interest"
    # A party, not a reviewer, here: it would learn who else listed the person, and read the appellant's files.
    own_case = client.get(f"/v1/appeals/{ref}/case", headers=people["shop-a"])
    assert problem(own_case, 403)["code"] == "conflict_of_interest"
    # Nor through the queues and the other member's dispute: the case is not in its queues, and
    # that dispute is a stranger's to it (404), never the reviewer's view naming shop-b.
    queues = client.get("/v1/review/appeals", headers=people["shop-a"]).get_json()
    assert queues["appeals"] == [] and queues["cases"] == []
    assert client.get("/v1/disputes?role=reviewer", headers=people["shop-a"]).get_json()["disputes"] == []
    [other] = client.get("/v1/disputes?role=submitter", headers=people["shop-b"]).get_json()["disputes"]
    assert client.get(f"/v1/disputes/{other['ref']}", headers=people["shop-a"]).status_code == 404
    case = client.get(f"/v1/appeals/{ref}/case", headers=people["risk-c"]).get_json()
    assert len(case["disputes"]) == 2
    video = case["appeal"]["files"][0]["download"]
    assert problem(client.get(video, headers=people["shop-a"]), 403)["code"] == "conflict_of_interest"
    assert decide_appeal(client, people, ref, who="risk-c").status_code == 200  # risk-c listed nothing here


# -- the submitter is heard first ----------------------------------------------------------------------
def test_a_dispute_is_decided_after_the_answer_or_with_an_expedite_reason(client, people):
    ref = dispute(client, people)
    assert problem(decide(client, people, ref), 409)["code"] == "answer_pending"
    assert problem(decide(client, people, ref, expedite_reason="  "), 422)  # a reason, not a blank
    urgent = "The identifier belongs to a hospital's switchboard; every hour listed harms patients."
    decided = decide(client, people, ref, outcome="upheld", expedite_reason=urgent)
    assert decided.status_code == 200 and decided.get_json()["expedite_reason"] == urgent
    shown = client.get(f"/v1/disputes/{ref}", headers=people["fed-review"]).get_json()
    assert shown["expedite_reason"] == urgent and shown["decided_by"] == "fed-review"
    [event] = [e for e in history(_db.session, f"dispute:{ref}") if e.tag == "dispute:upheld"]
    assert event.payload["expedited"] is True and urgent not in json.dumps(event.payload)
    for party in ("shop-a", "risk-c"):  # the parties see that a reviewer decided, not who or the expedite note
        seen = client.get(f"/v1/disputes/{ref}", headers=people[party]).get_json()
        assert seen["decided_by_role"] == "reviewer" and "decided_by" not in seen and "expedite_reason" not in seen


def test_an_answered_dispute_or_one_past_its_deadline_needs_no_expedite_reason(client, people):
    answered, unanswered = dispute(client, people), dispute(client, people, who="shop-b")
    answer(client, people["shop-a"], answered)
    assert decide(client, people, answered).status_code == 200
    tick(datetime.now(UTC) + timedelta(days=14, minutes=1))  # the answer deadline passes
    assert decide(client, people, unanswered).status_code == 200
    events = [e for e in history(_db.session, f"dispute:{answered}") if e.tag == "dispute:rejected"]
    assert events[0].payload["expedited"] is False


def test_an_appeal_is_decided_after_the_answers_or_with_an_expedite_reason(client, people):
    ref = appeal(client)
    assert problem(decide_appeal(client, people, ref), 409)["code"] == "answer_pending"
    decided = decide_appeal(client, people, ref, expedite_reason="The appellant's ID video is unambiguous.")
    assert decided.status_code == 200 and decided.get_json()["state"] == "upheld"
    [event] = [e for e in history(_db.session, f"appeal:{ref}") if e.tag == "appeal:upheld"]
    assert event.payload["expedited"] is True
    case = client.get(f"/v1/appeals/{ref}/case", headers=people["fed-review"]).get_json()
    assert case["disputes"][0]["expedite_reason"] == "The appellant's ID video is unambiguous."


# -- reviewers see the case --------------------------------------------------------------------------
def test_a_reviewer_reads_the_whole_case_of_a_dispute(client, people):
    ref = dispute(client, people)
    answer(client, people["shop-a"], ref)
    shown = client.get(f"/v1/disputes/{ref}", headers=people["fed-review"]).get_json()
    assert shown["filed_by"] == "risk-c" and shown["submitted_by"] == "shop-a"
    assert shown["reason"].startswith("The buyer") and shown["evidence"] == [{**digest("c"), "size": None}]
    assert shown["answer"] == "uphold" and shown["answer_note"] == "Redemption log attached."
    assert shown["answer_evidence"] == [{**digest("proof"), "size": None}]
    entry = shown["case"]["entry"]
    assert entry["ref"] == people["entry"] and entry["listed_by"] == "shop-a"
    assert (entry["category"], entry["tier"], entry["amount"], entry["currency"]) == (
        "refund_after_use",
        1,
        "199.0000",
        "CNY",
    )
    assert entry["occurred_at"] and entry["listed_at"] and entry["expires_at"]
    assert [e["kind"] for e in entry["evidence"]] == ["redemption_record", "chat_log"]
    assert entry["evidence"][0]["sha256"] == hashlib.sha256(b"a1").hexdigest()
    assert entry["dual_review"]["ai_model"] == "complaint-judge-v4"
    assert entry["dual_review"]["human_reviewer"] == "reviewer-07" and entry["dual_review"]["ai_score"] == 0.93
    assert shown["case"]["appeal"] is None
    assert (shown["case"]["answer_overdue"], shown["case"]["decision_overdue"]) == (False, False)
    for party in ("shop-a", "risk-c"):
        seen = client.get(f"/v1/disputes/{ref}", headers=people[party]).get_json()
        assert "case" not in seen and "filed_by" not in seen and "submitted_by" not in seen


def test_overdue_cases_are_flagged_for_reviewers(client, people):
    ref = dispute(client, people)
    tick(datetime.now(UTC) + timedelta(days=14, minutes=1))
    case = client.get(f"/v1/disputes/{ref}", headers=people["fed-review"]).get_json()["case"]
    assert case["answer_overdue"] is True and case["decision_overdue"] is False
    row = _db.session.scalar(select(Dispute).where(Dispute.ref == ref))
    row.decide_by = datetime.now(UTC) - timedelta(minutes=1)  # as if a month had passed
    _db.session.commit()
    case = client.get(f"/v1/disputes/{ref}", headers=people["fed-review"]).get_json()["case"]
    assert case["decision_overdue"] is True


def test_the_appeal_case_and_its_files_are_for_reviewers_only(client, people):
    ref = appeal(client)
    case = client.get(f"/v1/appeals/{ref}/case", headers=people["fed-review"])
    assert case.status_code == 200, case.get_json()
    body = case.get_json()
    assert body["appeal"]["statement"].startswith("I never filed") and body["decision_overdue"] is False
    [video] = body["appeal"]["files"]
    assert video["kind"] == "id_video" and video["stored"] is True
    [opened] = body["disputes"]
    assert opened["case"]["entry"]["listed_by"] == "shop-a" and opened["case"]["appeal"]["ref"] == ref
    assert opened["case"]["appeal"]["files"] == [video]
    with client.get(video["download"], headers=people["fed-review"]) as download:
        assert download.status_code == 200 and download.data == VIDEO
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert download.headers["X-Content-Type-Options"] == "nosniff"
    # Members never: without the review scope, or as the submitter of the matched entry.
    for member, code in (("shop-b", "insufficient_scope"), ("shop-a", "conflict_of_interest")):
        assert problem(client.get(video["download"], headers=people[member]), 403)["code"] == code
        assert problem(client.get(f"/v1/appeals/{ref}/case", headers=people[member]), 403)["code"] == code
    assert problem(client.get(video["download"]), 401)
    other = f"/v1/appeals/{ref}/evidence/{'0' * 64}"
    assert problem(client.get(other, headers=people["fed-review"]), 404)["code"] == "evidence_not_found"
    traversal = f"/v1/appeals/{ref}/evidence/..%2F..%2Fsecret"
    assert client.get(traversal, headers=people["fed-review"]).status_code == 404
