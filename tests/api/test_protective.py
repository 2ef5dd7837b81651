"""Protective registration end to end: an identity-theft victim's identifier draws at most ``review``.

Members register their own customers (at once, checked by reviewers); reviewers register from
appeals. Lookups that already match say ``protective_registration: true`` and nothing about who
registered; withdrawal restores the full ladder; salt rotation keeps the flag. Both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from federation.entries import salt_rotation
from federation.events.service import history
from tests.api.test_appeals import answer_every_case, appeal_body
from tests.api.test_appeals import file as file_appeal
from tests.api.test_disputes import tick
from tests.api.test_lookups import counted_selects, lookup, query
from tests.api.test_oauth import problem
from tests.entries.factories import entry_payload, hashed, hashed_all, hashed_under

PHONE, OTHER_PHONE = "13800138000", "13900139000"
DEVICE = "35-209900-176148-1"
PROOF = "c" * 64


@pytest.fixture
def parties(client, app, auth, make_member):
    """Two listing members, the victim's own platform (shop-v), a querying member, a reviewer."""
    return {
        name: auth.headers(make_member(name, roles=roles))
        for name, roles in [
            ("shop-a", ["submit"]),
            ("shop-b", ["submit"]),
            ("shop-v", ["submit", "review"]),
            ("risk-c", ["query"]),
            ("fed-review", ["review"]),
        ]
    }


def list_phone(client, app, headers, case_ref, *, phone=PHONE, tier=2, identifiers=None):
    """A tier-2 listing (a ``ban`` on its own) of ``phone`` alone, under the current salt."""
    body = entry_payload(app, case_ref, tier=tier, identifiers=identifiers or hashed(app, "phone", phone))
    response = client.post("/v1/entries", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["ref"]


def register(client, app, headers, case_ref="victim-1", *, phone=PHONE, identifiers=None, status=201, **overrides):
    body = {
        "case_ref": case_ref,
        "identifiers": identifiers or hashed_all(app, "phone", phone),
        "reason": "identity_theft",
        "evidence": [PROOF],
        **overrides,
    }
    response = client.post("/v1/protective-registrations", json=body, headers=headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def verdict(client, app, headers, identifiers=None):
    response = lookup(client, headers, identifiers or query(app, PHONE, subject="complainant"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def action(result: dict) -> tuple[str, str]:
    return result["recommended_action"]["action"], result["recommended_action"]["rule"]


def test_a_victims_flag_downgrades_a_ban_to_review_and_says_so(client, app, parties):
    ref = list_phone(client, app, parties["shop-a"], "a1")
    before = verdict(client, app, parties["risk-c"])
    assert action(before["identifiers"][0]) == ("ban", "tier_2_listing")
    assert before["identifiers"][0]["protective_registration"] is False

    registration = register(client, app, parties["shop-v"])
    assert registration["status"] == "active" and registration["confirmed"] is False

    after = verdict(client, app, parties["risk-c"])
    [identifier], [subject] = after["identifiers"], after["subjects"]
    assert action(identifier) == action(subject) == ("review", "protective_registration")
    assert identifier["protective_registration"] is subject["protective_registration"] is True
    assert identifier["recommended_action"]["freeze_until"] is None
    # The match itself stays visible: the flag lowers the action, never hides the listing.
    assert identifier["matches"][0]["ref"] == ref and identifier["confidence"] == before["identifiers"][0]["confidence"]
    # Who registered, and the registration itself, are never shown to other members.
    body = str(after)
    assert "shop-v" not in body and registration["ref"] not in body and "victim-1" not in body


def test_the_rule_is_published_with_the_ladder(client):
    rules = client.get("/v1/rules/current")
    if rules.status_code == 404:  # no joint rules published in this database: the ladder is the same table
        from federation.lookups.actions import RULES

        assert ("review", "protective_registration") in [(a, r) for a, r, *_ in RULES]
        return
    published = [(rule["action"], rule["rule"]) for rule in rules.get_json()["ladder"]["rules"]]
    assert ("review", "protective_registration") in published


def test_a_flag_on_a_miss_says_nothing(client, app, parties):
    """Registered but never listed: the lookup is an ordinary miss, identical to an unregistered one."""
    register(client, app, parties["shop-v"])
    registered, other = (verdict(client, app, parties["risk-c"], query(app, phone)) for phone in (PHONE, OTHER_PHONE))
    assert registered["identifiers"] == other["identifiers"]
    assert registered["identifiers"][0] == {"index": 0, "type": "phone", "matched": False, "confidence": 0.0}


def test_a_later_listing_of_a_registered_identifier_is_still_capped(client, app, parties):
    register(client, app, parties["shop-v"])
    list_phone(client, app, parties["shop-a"], "a1")
    list_phone(client, app, parties["shop-b"], "b1")  # two strikes: a ban twice over
    [identifier] = verdict(client, app, parties["risk-c"], query(app, PHONE))["identifiers"]
    assert action(identifier) == ("review", "protective_registration")
    assert identifier["protective_registration"] is True and identifier["reporting_members"] == 2


def test_the_flag_caps_that_identifier_alone_not_the_subjects_others(client, app, parties):
    """A listed device of the same subject still justifies a ban on its own; the stolen phone adds nothing."""
    list_phone(client, app, parties["shop-a"], "a1")  # the stolen phone
    list_phone(client, app, parties["shop-b"], "b1", identifiers=hashed(app, "device", DEVICE))
    register(client, app, parties["shop-v"])
    subject = query(app, PHONE, subject="complainant") + query(app, DEVICE, "device", subject="complainant")
    found = verdict(client, app, parties["risk-c"], subject)
    phone, device = found["identifiers"]
    assert action(phone) == ("review", "protective_registration") and phone["protective_registration"] is True
    assert action(device) == ("ban", "tier_2_listing") and device["protective_registration"] is False
    [result] = found["subjects"]
    assert result["protective_registration"] is True
    assert action(result) == ("ban", "tier_2_listing")  # the device's own listing, not second_strike


def test_a_subject_with_only_a_protected_identifier_listed_is_capped(client, app, parties):
    list_phone(client, app, parties["shop-a"], "a1")
    register(client, app, parties["shop-v"])
    subject = query(app, PHONE, subject="c") + query(app, "someone@example.cn", "email", subject="c")
    [result] = verdict(client, app, parties["risk-c"], subject)["subjects"]
    assert action(result) == ("review", "protective_registration")


def test_withdrawal_restores_the_ladder_and_is_audited(client, app, parties, db):
    list_phone(client, app, parties["shop-a"], "a1")
    registration = register(client, app, parties["shop-v"])
    assert action(verdict(client, app, parties["risk-c"])["identifiers"][0])[0] == "review"

    foreign = client.post(
        f"/v1/protective-registrations/{registration['ref']}/withdraw",
        json={"reason": "not ours"},
        headers=parties["shop-a"],
    )
    assert problem(foreign, 404)["code"] == "registration_not_found"  # another member's is not revealed
    withdrawn = client.post(
        f"/v1/protective-registrations/{registration['ref']}/withdraw",
        json={"reason": "The customer withdrew the police report."},
        headers=parties["shop-v"],
    )
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"
    assert action(verdict(client, app, parties["risk-c"])["identifiers"][0]) == ("ban", "tier_2_listing")
    tags = [event.tag for event in history(db.session, f"protection:{registration['ref']}")]
    assert tags == ["protection:registered", "protection:withdrawn"]
    listed = client.get("/v1/protective-registrations", headers=parties["shop-v"]).get_json()["registrations"]
    assert [(r["ref"], r["status"]) for r in listed] == [(registration["ref"], "withdrawn")]


def test_an_expired_registration_stops_capping_without_a_tick(client, app, parties, db):
    list_phone(client, app, parties["shop-a"], "a1")
    register(client, app, parties["shop-v"])
    past = (datetime.now(UTC) - timedelta(seconds=1)).replace(tzinfo=None)
    db.session.execute(text("UPDATE entry_identifiers SET protected_until = :past"), {"past": past})
    db.session.commit()
    assert action(verdict(client, app, parties["risk-c"])["identifiers"][0]) == ("ban", "tier_2_listing")


def test_a_resent_registration_is_the_first_one(client, app, parties):
    first = register(client, app, parties["shop-v"])
    again = register(client, app, parties["shop-v"], status=200)
    assert again["ref"] == first["ref"]


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"reason": "dislike"}, "/reason"),
        ({"evidence": ["not-a-digest"]}, "/evidence/0"),
        ({"identifiers": [{"type": "ip_net", "hashes": [{"key_id": "k", "hash": "a" * 64}]}]}, "/identifiers/0"),
    ],
)
def test_bad_registrations_are_problems(client, app, parties, change, pointer):
    response = client.post(
        "/v1/protective-registrations",
        json={
            "case_ref": "v1",
            "identifiers": hashed_all(app, "phone", PHONE),
            "reason": "identity_theft",
            "evidence": [PROOF],
            **change,
        },
        headers=parties["shop-v"],
    )
    body = problem(response, 422)
    assert any(error["pointer"].startswith(pointer) for error in body["errors"]), body


def test_a_registration_must_cover_every_accepted_salt(client, app, db, parties, salts):
    salt_rotation.add_salt(db.session, salts, "rot-2", actor="cli:op", now=datetime.now(UTC))
    db.session.commit()
    one_salt = hashed_under(app, "rot-2", "phone", PHONE)
    body = register(client, app, parties["shop-v"], identifiers=one_salt, status=422)
    assert body["errors"][0]["pointer"] == "/identifiers/0/hashes"


def test_only_submitting_members_register_and_only_reviewers_review(client, app, parties):
    refused = client.post("/v1/protective-registrations", json={}, headers=parties["risk-c"])
    assert refused.status_code == 403
    assert client.get("/v1/review/protective-registrations", headers=parties["shop-a"]).status_code == 403


def test_reviewers_see_members_registrations_and_confirm_them(client, app, parties, db):
    registration = register(client, app, parties["shop-v"])
    [queued] = client.get("/v1/review/protective-registrations", headers=parties["fed-review"]).get_json()[
        "registrations"
    ]
    assert (queued["ref"], queued["member"], queued["source"], queued["evidence"]) == (
        registration["ref"],
        "shop-v",
        "member",
        [PROOF],
    )
    own = client.post(f"/v1/review/protective-registrations/{registration['ref']}/confirm", headers=parties["shop-v"])
    assert problem(own, 403)["code"] == "own_registration"  # no judge in their own member's cause
    confirmed = client.post(
        f"/v1/review/protective-registrations/{registration['ref']}/confirm", headers=parties["fed-review"]
    ).get_json()
    assert confirmed["confirmed_by"] == "fed-review"
    assert datetime.fromisoformat(confirmed["expires_at"]) > datetime.fromisoformat(registration["expires_at"])
    revoked = client.post(
        f"/v1/review/protective-registrations/{registration['ref']}/withdraw",
        json={"reason": "The police report number does not exist."},
        headers=parties["fed-review"],
    ).get_json()
    assert (revoked["status"], revoked["withdrawn_by"]) == ("withdrawn", "fed-review")
    tags = [event.tag for event in history(db.session, f"protection:{registration['ref']}")]
    assert tags == ["protection:registered", "protection:confirmed", "protection:withdrawn"]


def test_a_reviewer_registers_an_appellant_after_a_rejected_appeal(client, app, parties, db):
    """The listing was right about the phone (fraud was committed with it), but the appellant whose phone
    it is proved the theft: the listing stands and the person is protected from it."""
    list_phone(client, app, parties["shop-a"], "a1")
    receipt = file_appeal(client, appeal_body(PHONE)).get_json()
    tick(datetime.now(UTC))
    answer_every_case(client, {"shop-a": parties["shop-a"]})
    decided = client.post(
        f"/v1/appeals/{receipt['appeal']}/decision",
        json={"decision": "rejected", "reason": "Fraud was committed with this phone; the SIM was swapped."},
        headers=parties["fed-review"],
    )
    assert decided.status_code == 200, decided.get_json()
    assert action(verdict(client, app, parties["risk-c"])["identifiers"][0]) == ("ban", "tier_2_listing")

    path = f"/v1/appeals/{receipt['appeal']}/protective-registration"
    assert client.post(path, json={"reason": "sim_swap"}, headers=parties["shop-a"]).status_code == 403
    made = client.post(path, json={"reason": "sim_swap"}, headers=parties["fed-review"])
    assert made.status_code == 201, made.get_json()
    registration = made.get_json()
    assert (registration["source"], registration["appeal"], registration["confirmed"]) == (
        "appeal",
        receipt["appeal"],
        True,
    )
    assert registration["member"] is None and registration["types"] == ["phone"]
    again = client.post(path, json={"reason": "sim_swap"}, headers=parties["fed-review"])
    assert again.status_code == 200 and again.get_json()["ref"] == registration["ref"]

    found = verdict(client, app, parties["risk-c"])
    assert action(found["identifiers"][0]) == ("review", "protective_registration")
    assert client.post("/v1/appeals/ANOPE/protective-registration", json={"reason": "sim_swap"},
                       headers=parties["fed-review"]).status_code == 404  # fmt: skip


def test_salt_rotation_keeps_the_flag_for_the_salts_registered_and_a_new_registration_covers_the_new_one(
    client, app, db, parties, salts
):
    first = salts.current_key_id
    ref = list_phone(client, app, parties["shop-a"], "a1")
    register(client, app, parties["shop-v"])
    salt_rotation.add_salt(db.session, salts, "rot-2", actor="cli:op", now=datetime.now(UTC))
    db.session.commit()
    client.post(
        "/v1/entries:rekey",
        json={"entries": [{"ref": ref, "identifiers": hashed_all(app, "phone", PHONE)}]},
        headers=parties["shop-a"],
    )
    # The SDK hashes under every accepted salt: the old salt's row carries the flag.
    sdk = [{"type": "phone", "hashes": hashed_all(app, "phone", PHONE)[0]["hashes"]}]
    assert action(verdict(client, app, parties["risk-c"], sdk)["identifiers"][0]) == (
        "review",
        "protective_registration",
    )
    # The registration covers the salts it was made under, and learns nothing from listings
    # (tests/attacks/test_protective_abuse.py): a hash under the new salt alone is not covered...
    by_hand = hashed_under(app, "rot-2", "phone", PHONE)
    assert action(verdict(client, app, parties["risk-c"], by_hand)["identifiers"][0]) == ("ban", "tier_2_listing")
    # ...until the holder registers again, under every salt now accepted; then past the old salt's retirement.
    register(client, app, parties["shop-v"], "victim-1-rot-2")
    salt_rotation.retire_salt(db.session, salts, first, actor="cli:op", now=datetime.now(UTC))
    db.session.commit()
    list_phone(client, app, parties["shop-b"], "b1", identifiers=hashed_under(app, "rot-2", "phone", PHONE))
    [identifier] = verdict(client, app, parties["risk-c"], by_hand)["identifiers"]
    assert identifier["reporting_members"] == 2
    assert action(identifier) == ("review", "protective_registration")


def test_the_flag_costs_no_round_trip(client, app, db, parties):
    list_phone(client, app, parties["shop-a"], "a1")
    register(client, app, parties["shop-v"])
    with counted_selects(db.engine) as selects:
        found = verdict(client, app, parties["risk-c"])
    assert found["identifiers"][0]["protective_registration"] is True
    assert len(selects) == 1


def test_the_tick_forgets_ended_registrations_hashes(client, app, parties, db, cli):
    list_phone(client, app, parties["shop-a"], "a1")
    kept = register(client, app, parties["shop-v"], "kept", phone=OTHER_PHONE)
    ended = register(client, app, parties["shop-v"])
    client.post(
        f"/v1/protective-registrations/{ended['ref']}/withdraw", json={"reason": "mistaken"}, headers=parties["shop-v"]
    )
    assert "protective registrations ended 1" in cli("tick")
    counts = dict(
        db.session.execute(
            text(
                "SELECT r.ref, count(h.id) FROM protective_registrations r "
                "LEFT JOIN protective_registration_hashes h ON h.registration_id = r.id GROUP BY r.ref"
            )
        ).all()
    )
    assert counts[ended["ref"]] == 0 and counts[kept["ref"]] > 0
    again = client.post(f"/v1/review/protective-registrations/{ended['ref']}/confirm", headers=parties["fed-review"])
    assert problem(again, 409)["code"] == "registration_ended"
    assert action(verdict(client, app, parties["risk-c"])["identifiers"][0]) == ("ban", "tier_2_listing")
    assert "protective registrations ended 0" in cli("tick")


def test_operators_check_registrations_from_the_cli(client, app, parties, cli):
    list_phone(client, app, parties["shop-a"], "a1")
    registration = register(client, app, parties["shop-v"])
    [line] = cli("protective", "queue").splitlines()
    assert line.startswith(f"{registration['ref']}  shop-v  phone  identity_theft  UNCONFIRMED")
    assert "confirmed until" in cli("protective", "confirm", registration["ref"])
    assert "confirmed by cli:" in cli("protective", "queue")
    assert "appeal_not_found" in cli("protective", "register-appeal", "ANOPE", "--reason", "sim_swap", ok=False)
    cli("protective", "withdraw", registration["ref"], "--reason", "The customer's claim was false.")
    assert cli("protective", "queue") == ""
    assert action(verdict(client, app, parties["risk-c"])["identifiers"][0]) == ("ban", "tier_2_listing")


def test_a_batch_listing_after_a_rotation_is_flagged_on_the_registered_salt_and_teaches_nothing(
    client, app, db, parties, salts
):
    registration = register(client, app, parties["shop-v"])
    salt_rotation.add_salt(db.session, salts, "rot-2", actor="cli:op", now=datetime.now(UTC))
    db.session.commit()
    both_salts = [{"type": "phone", "hashes": hashed_all(app, "phone", PHONE)[0]["hashes"]}]
    batch = [entry_payload(app, f"b{n}", tier=2, identifiers=both_salts) for n in range(2)]
    response = client.post("/v1/entries:batch", json={"entries": batch}, headers=parties["shop-b"])
    assert response.get_json()["created"] == 2, response.get_json()
    [identifier] = verdict(client, app, parties["risk-c"], both_salts)["identifiers"]
    assert action(identifier) == ("review", "protective_registration") and len(identifier["matches"]) == 2
    hashes = db.session.execute(
        text(
            "SELECT h.key_id FROM protective_registration_hashes h JOIN protective_registrations r "
            "ON r.id = h.registration_id WHERE r.ref = :ref"
        ),
        {"ref": registration["ref"]},
    ).scalars()
    assert "rot-2" not in set(hashes)  # a listing's hash under a new salt is the lister's word, not proof
