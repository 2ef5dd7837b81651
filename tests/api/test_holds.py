"""The reinsertion guard end to end: an overturned listing does not come back unreviewed.

Upheld (or conceded) disputes and appeals guard the person's identifiers; a re-listing by any
member is accepted as ``held``, matches nothing and stays out of the change feed; a reviewer
approves it only with new evidence and a certification. Through the real HTTP API, both backends.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from federation.entries import guard
from federation.entries.models import ReinsertionGuardHash
from federation.events.service import history
from federation.extensions import db as _db
from tests.api.test_appeals import appeal_body
from tests.api.test_appeals import file as file_appeal
from tests.api.test_disputes import digest, tick
from tests.api.test_lookups import list_entry, lookup, query
from tests.api.test_oauth import problem
from tests.entries.factories import entry_payload, hashed, hashed_all, hashed_under

PHONE, OTHER_PHONE = "13800138000", "13900139000"
CERTIFIED = {"certified": True, "statement": "New delivery logs confirm the refund abuse after the appeal."}


@pytest.fixture
def parties(client, app, auth, make_member):
    """The overturned submitter, another listing member, a querying member, reviewers (one also a submitter)."""
    return {
        name: auth.headers(make_member(name, roles=roles))
        for name, roles in [
            ("shop-a", ["submit"]),
            ("shop-b", ["submit"]),
            ("risk-c", ["query"]),
            ("fed-review", ["review"]),
            ("shop-r", ["submit", "review"]),
        ]
    }


def decide_dispute(client, parties, entry: str, *, answer: str = "uphold", outcome: str = "upheld") -> str:
    """Dispute ``entry`` (by risk-c); the submitter answers; a reviewer decides unless it was retracted."""
    filed = client.post(
        f"/v1/entries/{entry}/disputes",
        json={"reason": "The buyer showed us the code was never delivered.", "evidence": [digest("dispute")]},
        headers=parties["risk-c"],
    ).get_json()
    evidence = [digest("answer")] if answer == "uphold" else []
    client.post(
        f"/v1/disputes/{filed['ref']}/answer", json={"answer": answer, "evidence": evidence}, headers=parties["shop-a"]
    )
    if answer == "uphold":
        decided = client.post(
            f"/v1/disputes/{filed['ref']}/decision",
            json={"outcome": outcome, "reason": "The redemption record belongs to another account."},
            headers=parties["fed-review"],
        )
        assert decided.status_code == 200, decided.get_json()
    return filed["ref"]


@pytest.fixture
def overturned(client, app, parties) -> dict:
    """shop-a's listing of PHONE, delisted by an upheld dispute."""
    entry = list_entry(client, app, parties["shop-a"], "a1", phone=PHONE)
    return {"entry": entry, "dispute": decide_dispute(client, parties, entry)}


def relist(client, app, headers, case_ref: str, *, certify: bool = True, old_evidence: bool = False, status=201):
    body = entry_payload(app, case_ref, phone=PHONE)
    if certify:
        body["relisting_certification"] = CERTIFIED
    if old_evidence:  # exactly what the overturned case already had
        body["evidence"] = entry_payload(app, "a1")["evidence"]
    response = client.post("/v1/entries", json=body, headers=headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def matched(client, app, parties, phone: str = PHONE) -> bool:
    return lookup(client, parties["risk-c"], query(app, phone)).get_json()["identifiers"][0]["matched"]


def feed_entries(client, parties) -> list[tuple[str, str]]:
    changes = client.get("/v1/changes?after=0&limit=200", headers=parties["risk-c"]).get_json()["changes"]
    return [(change["type"], change["entry"]) for change in changes]


def hold_case(client, parties, ref: str) -> dict:
    response = client.get(f"/v1/review/holds/{ref}", headers=parties["fed-review"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def decide_hold(client, parties, ref: str, decision: str, who: str = "fed-review"):
    return client.post(
        f"/v1/review/holds/{ref}/decision",
        json={"decision": decision, "reason": "Checked the new delivery logs against the appeal."},
        headers=parties[who],
    )


def test_a_relisting_of_overturned_identifiers_is_held_and_looks_like_any_hold(client, app, parties, overturned):
    bare = relist(client, app, parties["shop-b"], "b1", certify=False, old_evidence=True)
    certified = relist(client, app, parties["shop-b"], "b2")
    unrelated = client.post(
        "/v1/entries",
        json=entry_payload(app, "b3", identifiers=hashed(app, "phone", OTHER_PHONE)),
        headers=parties["shop-b"],
    ).get_json()
    assert bare["state"] == certified["state"] == "held"
    assert bare["hold_reason"] == certified["hold_reason"] == "review"
    assert sorted(bare) == sorted(certified) == sorted(unrelated) and unrelated["hold_reason"] is None
    text = json.dumps([bare, certified])
    for secret in (overturned["entry"], overturned["dispute"], "delisted", "guard", "certif", "shop-a"):
        assert secret not in text  # the answer reveals no one's history
    assert not matched(client, app, parties)  # held: no match, no count
    assert lookup(client, parties["risk-c"], query(app, PHONE)).get_json()["hits"] == 0
    again = client.post("/v1/entries", json=entry_payload(app, "b1", phone=PHONE), headers=parties["shop-b"])
    assert again.status_code == 409  # its content differs from b1 (old evidence): idempotency still judges
    replay = client.post(
        "/v1/entries",
        json={**entry_payload(app, "b2", phone=PHONE), "relisting_certification": CERTIFIED},
        headers=parties["shop-b"],
    )
    assert replay.status_code == 200 and replay.get_json()["ref"] == certified["ref"]
    assert replay.get_json()["state"] == "held"
    tags = [event.tag for event in history(_db.session, f"entry:{certified['ref']}")]
    assert tags == ["entry:held"]


def test_a_batch_relisting_is_held_too(client, app, parties, overturned):
    item = {**entry_payload(app, "b1", phone=PHONE), "relisting_certification": CERTIFIED}
    response = client.post("/v1/entries:batch", json={"entries": [item]}, headers=parties["shop-b"])
    assert response.status_code == 200, response.get_json()
    [result] = response.get_json()["results"]
    assert result["status"] == "created" and result["entry"]["state"] == "held"
    assert result["entry"]["hold_reason"] == "review" and not matched(client, app, parties)


def test_a_reviewer_approves_a_certified_relisting_with_new_evidence_and_only_then_it_matches(
    client, app, parties, overturned
):
    held = relist(client, app, parties["shop-b"], "b1")
    assert ("listed", held["ref"]) not in feed_entries(client, parties)  # the feed never saw it
    queue = client.get("/v1/review/holds", headers=parties["fed-review"]).get_json()["holds"]
    assert [case["entry"] for case in queue] == [held["ref"]]
    case = hold_case(client, parties, held["ref"])
    assert case["submitted_by"] == "shop-b" and case["cause"] == "reinsertion" and case["missing"] == []
    assert sorted(case["new_evidence"]) == sorted(e["sha256"] for e in held["evidence"])
    assert case["certified"] and case["certification"] == CERTIFIED["statement"]
    [overturned_case] = case["overturned_cases"]
    assert overturned_case["overturned_entry"] == overturned["entry"]
    assert overturned_case["dispute"] == overturned["dispute"] and overturned_case["cause"] == "upheld"
    until = datetime.fromisoformat(overturned_case["until"]) - datetime.fromisoformat(overturned_case["decided_at"])
    assert until == timedelta(days=180)
    approved = decide_hold(client, parties, held["ref"], "approve")
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["state"] == "approved" and approved.get_json()["entry_state"] == "active"
    assert matched(client, app, parties)
    assert ("listed", held["ref"]) in feed_entries(client, parties)
    mine = client.get(f"/v1/entries/{held['ref']}", headers=parties["shop-b"]).get_json()
    assert mine["state"] == "active" and mine["hold_reason"] is None
    assert problem(decide_hold(client, parties, held["ref"], "reject"), 409)["code"] == "hold_decided"
    assert client.get("/v1/review/holds", headers=parties["fed-review"]).get_json()["holds"] == []


def test_an_approved_relisting_is_listed_and_frozen_from_its_approval(client, app, parties, overturned, db):
    """The freeze is the sanction for a published confirmation: a hold's review time must not eat it."""
    from federation.entries.models import Entry

    held = relist(client, app, parties["shop-b"], "b1")
    assert held["listed_at"] is None
    submitted = datetime.now(UTC) - timedelta(days=20)
    db.session.execute(Entry.__table__.update().where(Entry.ref == held["ref"]).values(created_at=submitted))
    db.session.commit()
    assert decide_hold(client, parties, held["ref"], "approve").status_code == 200
    mine = client.get(f"/v1/entries/{held['ref']}", headers=parties["shop-b"]).get_json()
    approved_at = datetime.fromisoformat(mine["listed_at"])
    assert abs(approved_at - datetime.now(UTC)) < timedelta(minutes=1)
    ids = [{**item, "subject": "c"} for item in query(app, PHONE)]
    body = lookup(client, parties["risk-c"], ids).get_json()
    assert datetime.fromisoformat(body["identifiers"][0]["matches"][0]["reported_at"]) == approved_at
    action = body["subjects"][0]["recommended_action"]
    assert action["action"] == "warn_and_freeze"
    assert datetime.fromisoformat(action["freeze_until"]) == approved_at + timedelta(days=15)


def test_a_person_appealing_while_a_relisting_is_held_is_heard_before_it_takes_effect(client, app, parties, overturned):
    held = relist(client, app, parties["shop-b"], "b1")
    receipt = file_appeal(client, appeal_body(PHONE)).get_json()
    tick(datetime.now(UTC))
    case = client.get(f"/v1/appeals/{receipt['appeal']}/case", headers=parties["fed-review"]).get_json()
    assert [d["case"]["entry"]["ref"] for d in case["disputes"]] == [held["ref"]]
    decided = client.post(
        f"/v1/appeals/{receipt['appeal']}/decision",
        json={
            "decision": "upheld",
            "reason": "Same stolen account as before.",
            "expedite_reason": "The earlier upheld case settles it; nothing the submitter says changes that.",
        },
        headers=parties["fed-review"],
    )
    assert decided.status_code == 200, decided.get_json()
    assert not matched(client, app, parties)
    assert problem(decide_hold(client, parties, held["ref"], "approve"), 409)["code"] == "hold_decided"
    assert held["ref"] not in json.dumps(feed_entries(client, parties))  # never published, not even its end


def test_a_relisting_without_new_evidence_or_certification_can_only_be_rejected(client, app, parties, overturned):
    held = relist(client, app, parties["shop-b"], "b1", certify=False, old_evidence=True)
    assert hold_case(client, parties, held["ref"])["missing"] == ["new_evidence", "certification"]
    assert problem(decide_hold(client, parties, held["ref"], "approve"), 409)["code"] == "hold_incomplete"
    rejected = decide_hold(client, parties, held["ref"], "reject")
    assert rejected.status_code == 200 and rejected.get_json()["entry_state"] == "rejected"
    mine = client.get(f"/v1/entries/{held['ref']}", headers=parties["shop-b"]).get_json()
    assert mine["state"] == "rejected" and mine["end_reason"] == "Not listed after review."
    assert "appeal" not in json.dumps(mine) and not matched(client, app, parties)
    assert held["ref"] not in {entry for _, entry in feed_entries(client, parties)}


def test_the_submitter_of_the_overturned_listing_is_held_too(client, app, parties, overturned):
    """Any member: the same member re-listing under a new case reference does not slip through."""
    assert relist(client, app, parties["shop-a"], "a2")["state"] == "held"


def test_a_reviewer_cannot_decide_a_hold_on_its_own_members_entry(client, app, parties, overturned):
    held = relist(client, app, parties["shop-r"], "r1")
    assert problem(decide_hold(client, parties, held["ref"], "approve", who="shop-r"), 403)["code"] == "own_member"
    assert hold_case(client, parties, held["ref"])["state"] == "pending"
    assert decide_hold(client, parties, held["ref"], "approve").status_code == 200


def test_no_party_to_the_overturned_case_reviews_its_relisting(client, app, auth, make_member, parties):
    """The member whose listing was overturned, and the one that disputed it, see nothing and decide nothing."""
    lister, disputer = (auth.headers(make_member(n, roles=["submit", "query", "review"])) for n in ("shop-x", "risk-y"))
    entry = list_entry(client, app, lister, "x1", phone=PHONE)
    body = {"reason": "The buyer showed us the code was never delivered.", "evidence": [digest("y")]}
    filed = client.post(f"/v1/entries/{entry}/disputes", json=body, headers=disputer).get_json()
    client.post(f"/v1/disputes/{filed['ref']}/answer", json={"answer": "retract", "evidence": []}, headers=lister)
    held = relist(client, app, parties["shop-b"], "b1")
    for party in (lister, disputer):
        assert client.get("/v1/review/holds", headers=party).get_json()["holds"] == []
        assert problem(client.get(f"/v1/review/holds/{held['ref']}", headers=party), 403)["code"] == (
            "conflict_of_interest"
        )
        decision = {"decision": "approve", "reason": "Looks fine to us."}
        refused = client.post(f"/v1/review/holds/{held['ref']}/decision", json=decision, headers=party)
        assert problem(refused, 403)["code"] == "conflict_of_interest"
    assert [
        case["entry"] for case in client.get("/v1/review/holds", headers=parties["fed-review"]).get_json()["holds"]
    ] == [held["ref"]]


def test_members_cannot_review_holds(client, app, parties, overturned):
    held = relist(client, app, parties["shop-b"], "b1")
    assert problem(client.get("/v1/review/holds", headers=parties["shop-b"]), 403)["code"] == "insufficient_scope"
    assert problem(decide_hold(client, parties, held["ref"], "approve", who="shop-b"), 403)
    assert problem(client.get("/v1/review/holds/ENOSUCH", headers=parties["fed-review"]), 404)["code"] == (
        "hold_not_found"
    )


def test_after_the_guard_period_a_relisting_is_active_at_once(client, app, parties, overturned, db):
    days = app.extensions["federation.entries.policy"].reinsertion_guard_days
    decided = datetime.now(UTC)
    assert guard.purge_guards(db.session, days=days, now=decided + timedelta(days=179)) == 0
    db.session.commit()
    assert relist(client, app, parties["shop-b"], "b1")["state"] == "held"
    assert guard.purge_guards(db.session, days=days, now=decided + timedelta(days=180, minutes=1)) == 1
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ReinsertionGuardHash)) == 0
    assert relist(client, app, parties["shop-b"], "b2")["state"] == "active"
    assert matched(client, app, parties)
    assert guard.purge_guards(db.session, days=days, now=decided + timedelta(days=181)) == 0  # once


def test_the_guard_period_is_counted_from_the_decision(app, parties, overturned, db):
    """Before, at and after the boundary, with an explicit clock (the guard's hashes not yet purged)."""
    [stored] = [h for h in db.session.scalars(select(ReinsertionGuardHash.stored_hash))][:1]
    [created] = [g.created_at for g in guard.live_guards(db.session, [stored], days=180, now=datetime.now(UTC))]
    for offset, live in ((timedelta(days=180, seconds=-1), True), (timedelta(days=180), False)):
        assert bool(guard.live_guards(db.session, [stored], days=180, now=created + offset)) is live


def test_an_upheld_appeal_is_linked_to_the_relisting(client, app, parties):
    entry = list_entry(client, app, parties["shop-a"], "a1", phone=PHONE)
    receipt = file_appeal(client, appeal_body(PHONE)).get_json()
    tick(datetime.now(UTC))
    decided = client.post(
        f"/v1/appeals/{receipt['appeal']}/decision",
        json={
            "decision": "upheld",
            "reason": "The video matches the ID; the account was stolen.",
            "expedite_reason": "The handheld-ID video settles it; the submitter's answer cannot change that.",
        },
        headers=parties["fed-review"],
    )
    assert decided.status_code == 200, decided.get_json()
    held = relist(client, app, parties["shop-b"], "b1")
    assert held["state"] == "held" and receipt["appeal"] not in json.dumps(held)
    [case] = hold_case(client, parties, held["ref"])["overturned_cases"]
    assert case["appeal"] == receipt["appeal"] and case["overturned_entry"] == entry and case["dispute"]
    appellant_video = appeal_body(PHONE)["evidence"][0]
    with_video = entry_payload(app, "b2", phone=PHONE)
    with_video["evidence"][0]["sha256"] = appellant_video["sha256"]  # the appellant's evidence is not new
    body = client.post(
        "/v1/entries", json={**with_video, "relisting_certification": CERTIFIED}, headers=parties["shop-b"]
    ).get_json()
    assert appellant_video["sha256"] not in hold_case(client, parties, body["ref"])["new_evidence"]


@pytest.mark.parametrize("how", ["answer", "retract"])
def test_a_conceded_dispute_guards_like_an_upheld_one(client, app, parties, how):
    entry = list_entry(client, app, parties["shop-a"], "a1", phone=PHONE)
    if how == "answer":
        decide_dispute(client, parties, entry, answer="retract")
    else:  # withdrawn outside the dispute, while it is open
        client.post(
            f"/v1/entries/{entry}/disputes",
            json={"reason": "The buyer showed us the code was never delivered.", "evidence": [digest("d")]},
            headers=parties["risk-c"],
        )
        client.post(f"/v1/entries/{entry}/retract", json={"reason": "withdrawn"}, headers=parties["shop-a"])
    tick(datetime.now(UTC))
    assert relist(client, app, parties["shop-b"], "b1")["state"] == "held"


def test_rejected_disputes_and_plain_retractions_guard_nothing(client, app, parties):
    entry = list_entry(client, app, parties["shop-a"], "a1", phone=PHONE)
    decide_dispute(client, parties, entry, outcome="rejected")
    assert relist(client, app, parties["shop-b"], "b1")["state"] == "active"
    other = list_entry(client, app, parties["shop-a"], "a2", identifiers=hashed(app, "phone", OTHER_PHONE))
    client.post(f"/v1/entries/{other}/retract", json={"reason": "duplicate"}, headers=parties["shop-a"])
    listed = client.post(
        "/v1/entries",
        json=entry_payload(app, "b2", identifiers=hashed(app, "phone", OTHER_PHONE)),
        headers=parties["shop-b"],
    )
    assert listed.get_json()["state"] == "active"


def test_a_held_entry_withdrawn_or_expired_never_reaches_the_feed(client, app, parties, overturned, db):
    from federation.entries import expiry

    withdrawn = relist(client, app, parties["shop-b"], "b1")
    client.post(f"/v1/entries/{withdrawn['ref']}/retract", json={"reason": "duplicate"}, headers=parties["shop-b"])
    expiring = relist(client, app, parties["shop-b"], "b2")
    assert expiry.purge(db.session, now=datetime.fromisoformat(expiring["expires_at"])).expired == 1
    db.session.commit()
    refs = {entry for _, entry in feed_entries(client, parties)}
    assert withdrawn["ref"] not in refs and expiring["ref"] not in refs
    tags = [e.tag for e in history(db.session, f"entry:{withdrawn['ref']}")]
    assert tags[:2] == ["entry:held", "entry:hold_retracted"]
    assert history(db.session, f"entry:{expiring['ref']}")[1].tag == "entry:hold_expired"
    assert client.get("/v1/review/holds", headers=parties["fed-review"]).get_json()["holds"] == []


def test_a_certification_must_be_given_in_full(client, app, parties):
    body = {**entry_payload(app, "b1"), "relisting_certification": {"certified": False, "statement": "x" * 30}}
    errors = problem(client.post("/v1/entries", json=body, headers=parties["shop-b"]), 422)["errors"]
    assert [e["pointer"] for e in errors] == ["/relisting_certification/certified"]


def test_the_guard_watches_the_person_not_their_network(client, app, parties):
    entry = list_entry(client, app, parties["shop-a"], "a1", identifiers=hashed(app, "ip", "114.114.114.114"))
    decide_dispute(client, parties, entry)
    neighbour = entry_payload(app, "b1", identifiers=hashed(app, "ip", "114.114.114.9"))
    assert client.post("/v1/entries", json=neighbour, headers=parties["shop-b"]).get_json()["state"] == "active"
    same = entry_payload(app, "b2", identifiers=hashed(app, "ip", "114.114.114.114"))
    assert client.post("/v1/entries", json=same, headers=parties["shop-b"]).get_json()["state"] == "held"


def test_a_salt_rotation_does_not_open_a_way_past_the_guard(client, app, db, parties, overturned, salts):
    """A re-listing hashed under the new salt alone is refused; hashed as documented, it is held."""
    from federation.entries import salt_rotation

    salt_rotation.add_salt(db.session, salts, "rot-2", actor="cli:op", now=datetime.now(UTC))
    db.session.commit()
    by_hand = entry_payload(app, "b1", phone=PHONE)
    by_hand["identifiers"] = hashed_under(app, "rot-2", "phone", PHONE)
    problem_ = problem(client.post("/v1/entries", json=by_hand, headers=parties["shop-b"]), 422)
    assert problem_["errors"][0]["pointer"] == "/identifiers/0" and "missing" in problem_["errors"][0]["detail"]
    body = entry_payload(app, "b2", phone=PHONE)
    body["identifiers"] = hashed_all(app, "phone", PHONE)
    body["relisting_certification"] = CERTIFIED
    response = client.post("/v1/entries", json=body, headers=parties["shop-b"])
    assert response.status_code == 201 and response.get_json()["state"] == "held"


def test_a_sampled_listing_is_held_like_a_guarded_one_and_so_a_hold_tells_nothing(
    client, app, parties, overturned, monkeypatch
):
    """Quality samples are holds too: the submitter cannot tell a person's history from a held answer."""
    import dataclasses

    guarded = relist(client, app, parties["shop-b"], "b1")
    policy = app.extensions["federation.entries.policy"]
    monkeypatch.setitem(app.extensions, "federation.entries.policy", dataclasses.replace(policy, hold_sample_rate=1.0))
    sampled = list_entry_json(client, app, parties["shop-b"], "b2", identifiers=hashed(app, "phone", "13900139000"))
    assert sampled["state"] == guarded["state"] == "held" and sampled["hold_reason"] == guarded["hold_reason"]
    assert sorted(sampled) == sorted(guarded)
    case = hold_case(client, parties, sampled["ref"])
    assert case["cause"] == "sample" and case["missing"] == [] and case["overturned_cases"] == []
    assert not matched(client, app, parties, phone="13900139000")
    assert decide_hold(client, parties, sampled["ref"], "approve").status_code == 200
    assert matched(client, app, parties, phone="13900139000")
    assert ("listed", sampled["ref"]) in feed_entries(client, parties)


def list_entry_json(client, app, headers, case_ref: str, **overrides) -> dict:
    response = client.post("/v1/entries", json=entry_payload(app, case_ref, **overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()
