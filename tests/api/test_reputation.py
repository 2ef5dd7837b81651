"""Reporter reputation and probation over the API (issue 13 point 4; docs/scoring.md)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from federation.events.service import history
from federation.members.models import Member
from tests.entries.factories import OCCURRED, entry_payload, hashed

PHONE, OTHER, THIRD = "13800138000", "13900139000", "13700137000"


def decayed(weight: float) -> float:
    """A phone weight after the factory's offence age (docs/scoring.md)."""
    return weight * 0.5 ** ((datetime.now(UTC) - OCCURRED).total_seconds() / 86400 / 365)


@pytest.fixture
def fed(client, auth, make_member):
    """An established lister, a newcomer, a querier, a reviewer, and an admin: their token headers."""
    roles = {
        "old-shop": ["submit", "query"],
        "new-shop": ["submit", "query", "review"],
        "other-new": ["submit"],
        "risk-c": ["query"],
        "fed-review": ["review"],
        "root": ["admin"],
    }
    return {name: auth.headers(make_member(name, roles=r)) for name, r in roles.items()}


def put_on_probation(client, fed, member_id: str, days: float = 90):
    until = (datetime.now(UTC) + timedelta(days=days)).isoformat()
    response = client.post(
        f"/v1/members/{member_id}/probation", json={"until": until, "reason": "new member"}, headers=fed["root"]
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def list_entry(client, app, headers, case_ref: str, phone: str = PHONE) -> str:
    response = client.post("/v1/entries", json=entry_payload(app, case_ref, phone=phone), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["ref"]


def looked_up(client, app, fed, phone: str = PHONE) -> dict:
    identifiers = [{**h, "subject": "s"} for h in hashed(app, "phone", phone)]
    response = client.post(
        "/v1/lookups",
        json={"purpose": "complaint_intake", "reference": "CMP-1", "identifiers": identifiers},
        headers=fed["risk-c"],
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return {"identifier": body["identifiers"][0], "subject": body["subjects"][0]}


def action(result: dict) -> tuple[str, str]:
    recommended = result["subject"]["recommended_action"]
    assert result["identifier"]["recommended_action"]["rule"] == recommended["rule"]
    return recommended["action"], recommended["rule"]


def test_a_probation_members_single_listing_recommends_review_at_most(client, app, fed):
    put_on_probation(client, fed, "new-shop")
    ref = list_entry(client, app, fed["new-shop"], "n1")
    result = looked_up(client, app, fed)
    assert action(result) == ("review", "probation_uncorroborated")
    [match] = result["identifier"]["matches"]
    assert match["ref"] == ref and match["provisional"] is True
    assert match["weight"] == pytest.approx(decayed(0.85), abs=1e-4)  # it weighs; it just does not act alone
    assert "new-shop" not in str(result)  # who listed stays unsaid


def test_corroboration_by_an_established_member_lifts_it(client, app, fed):
    put_on_probation(client, fed, "new-shop")
    list_entry(client, app, fed["new-shop"], "n1")
    list_entry(client, app, fed["old-shop"], "o1")
    result = looked_up(client, app, fed)
    assert action(result) == ("ban", "second_strike")  # two strikes: the newcomer's now counts
    assert [m["provisional"] for m in result["identifier"]["matches"]] == [False, False]


def test_another_probation_member_does_not_corroborate(client, app, fed):
    put_on_probation(client, fed, "new-shop")
    put_on_probation(client, fed, "other-new")
    list_entry(client, app, fed["new-shop"], "n1")
    list_entry(client, app, fed["other-new"], "x1")
    result = looked_up(client, app, fed)
    assert action(result) == ("review", "probation_uncorroborated")
    assert [m["provisional"] for m in result["identifier"]["matches"]] == [True, True]


def test_a_reviewer_confirmation_lifts_it_and_is_audited(client, app, db, fed):
    put_on_probation(client, fed, "new-shop")
    ref = list_entry(client, app, fed["new-shop"], "n1")
    own = client.post(f"/v1/entries/{ref}/confirm", json={}, headers=fed["new-shop"])
    assert own.status_code == 403 and own.get_json()["code"] == "own_member"
    assert client.post(f"/v1/entries/{ref}/confirm", json={}, headers=fed["risk-c"]).status_code == 403  # no scope
    confirmed = client.post(
        f"/v1/entries/{ref}/confirm", json={"reason": "evidence checked"}, headers=fed["fed-review"]
    )
    assert confirmed.status_code == 200 and confirmed.get_json()["ref"] == ref
    again = client.post(f"/v1/entries/{ref}/confirm", json={}, headers=fed["fed-review"])
    assert again.get_json()["confirmed_at"] == confirmed.get_json()["confirmed_at"]  # once
    result = looked_up(client, app, fed)
    assert action(result) == ("warn_and_freeze", "first_strike")
    assert result["identifier"]["matches"][0]["provisional"] is False
    events = [e for e in history(db.session, f"entry:{ref}") if e.tag == "entry:confirmed"]
    assert len(events) == 1 and events[0].actor == "fed-review" and events[0].payload["reason"] == "evidence checked"


def test_confirming_needs_a_live_entry(client, app, fed):
    assert client.post("/v1/entries/nope/confirm", json={}, headers=fed["fed-review"]).status_code == 404
    ref = list_entry(client, app, fed["old-shop"], "o1")
    client.post(f"/v1/entries/{ref}/retract", json={"reason": "wrong person"}, headers=fed["old-shop"])
    ended = client.post(f"/v1/entries/{ref}/confirm", json={}, headers=fed["fed-review"])
    assert ended.status_code == 409 and ended.get_json()["code"] == "entry_not_live"


def test_probation_ending_lifts_it(client, app, db, fed):
    put_on_probation(client, fed, "new-shop")
    list_entry(client, app, fed["new-shop"], "n1")
    assert action(looked_up(client, app, fed)) == ("review", "probation_uncorroborated")
    # Time passes: the probation's end is now behind us (no sleeping).
    db.session.execute(
        Member.__table__.update()
        .where(Member.id == "new-shop")
        .values(probation_until=datetime.now(UTC) - timedelta(seconds=1))
    )
    db.session.commit()
    assert action(looked_up(client, app, fed)) == ("warn_and_freeze", "first_strike")
    me = client.get("/v1/members/me", headers=fed["new-shop"]).get_json()
    assert me["standing"]["probation"]["on_probation"] is False


def test_an_admin_ends_or_extends_probation_with_a_reason(client, app, db, fed):
    put_on_probation(client, fed, "new-shop", days=10)
    list_entry(client, app, fed["new-shop"], "n1")
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    extended = client.post(
        "/v1/members/new-shop/probation", json={"until": later, "reason": "more checks"}, headers=fed["root"]
    )
    assert datetime.fromisoformat(extended.get_json()["standing"]["probation"]["until"]) == datetime.fromisoformat(
        later
    )
    past = client.post(
        "/v1/members/new-shop/probation", json={"until": "2020-01-01T00:00:00Z", "reason": "x"}, headers=fed["root"]
    )
    assert past.status_code == 422 and past.get_json()["errors"][0]["pointer"] == "/until"
    no_reason = client.post("/v1/members/new-shop/probation", json={"until": None}, headers=fed["root"])
    assert no_reason.status_code == 422
    not_admin = client.post(
        "/v1/members/new-shop/probation", json={"until": None, "reason": "x"}, headers=fed["fed-review"]
    )
    assert not_admin.status_code == 403
    ended = client.post("/v1/members/new-shop/probation", json={"until": None, "reason": "vetted"}, headers=fed["root"])
    assert ended.get_json()["standing"]["probation"]["on_probation"] is False
    assert action(looked_up(client, app, fed)) == ("warn_and_freeze", "first_strike")
    events = [e for e in history(db.session, "member:new-shop") if e.tag.startswith("member:probation")]
    assert [(e.tag, e.actor, e.payload["reason"]) for e in events] == [
        ("member:probation_changed", "root", "new member"),
        ("member:probation_changed", "root", "more checks"),
        ("member:probation_ended", "root", "vetted"),
    ]


def test_a_member_admitted_under_probation_config_starts_on_probation(client, app, fed, monkeypatch):
    monkeypatch.setitem(app.config, "PROBATION_DAYS", 90)
    monkeypatch.setitem(app.config, "REPUTATION_AGE_FLOOR", 0.8)
    created = client.post(
        "/v1/members", json={"id": "shop-99", "display_name": "Shop 99", "roles": ["submit"]}, headers=fed["root"]
    )
    assert created.status_code == 201
    shown = client.get("/v1/members/shop-99", headers=fed["root"]).get_json()["standing"]
    until = datetime.fromisoformat(shown["probation"]["until"])
    assert shown["probation"]["on_probation"] and timedelta(days=89) < until - datetime.now(UTC) <= timedelta(days=90)
    assert shown["effective_trust"] == pytest.approx(0.8) and shown["inputs"]["age_factor"] == pytest.approx(0.8)


def overturn(client, fed, ref: str) -> None:
    """risk-c disputes ``ref``; the lister keeps it; a reviewer upholds the dispute: delisted."""
    evidence = [{"kind": "chat_log", "sha256": hashlib.sha256(ref.encode()).hexdigest()}]
    dispute = client.post(
        f"/v1/entries/{ref}/disputes", json={"reason": "Never delivered.", "evidence": evidence}, headers=fed["risk-c"]
    ).get_json()["ref"]
    answer = {"answer": "uphold", "evidence": [{**evidence[0], "sha256": "a" * 64}]}
    assert client.post(f"/v1/disputes/{dispute}/answer", json=answer, headers=fed["old-shop"]).status_code == 200
    decision = {"outcome": "upheld", "reason": "The delivery record shows a failed redemption."}
    assert client.post(f"/v1/disputes/{dispute}/decision", json=decision, headers=fed["fed-review"]).status_code == 200


def test_overturned_entries_lower_trust_after_tick(client, app, db, fed, cli):
    refs = [list_entry(client, app, fed["old-shop"], f"o{i}", phone=p) for i, p in enumerate([PHONE, OTHER, THIRD])]
    before = looked_up(client, app, fed, OTHER)["identifier"]["confidence"]
    assert before == pytest.approx(decayed(0.85), abs=1e-4)
    overturn(client, fed, refs[0])
    assert looked_up(client, app, fed, OTHER)["identifier"]["confidence"] == before  # until the tick
    assert "member trust changed" in cli("tick")
    expected = 1 - 2 * 1 / (3 + 10)  # docs/scoring.md: 1 - a * overturned / (entries + k)
    standing = client.get("/v1/members/me", headers=fed["old-shop"]).get_json()["standing"]
    assert standing["effective_trust"] == pytest.approx(expected, abs=1e-6)
    assert standing["inputs"]["entries"] == 3 and standing["inputs"]["overturned"] == 1
    assert standing["computed_trust"] == standing["effective_trust"] and standing["override"] is None
    after = looked_up(client, app, fed, OTHER)["identifier"]["confidence"]
    assert after == pytest.approx(decayed(0.85) * expected, abs=1e-4)
    [event] = [e for e in history(db.session, "member:old-shop") if e.tag == "member:trust_recomputed"]
    assert event.payload["to"] == pytest.approx(expected, abs=1e-6) and event.payload["inputs"]["overturned"] == 1
    assert "member trust changed 0" in cli("tick")  # nothing moved: no new event
    assert client.get("/v1/members/me", headers=fed["new-shop"]).get_json()["standing"]["effective_trust"] == 1.0


def test_an_admin_override_wins_until_removed_and_is_audited(client, app, db, fed):
    list_entry(client, app, fed["old-shop"], "o1")
    set_ = client.post(
        "/v1/members/old-shop/trust", json={"override": 0.5, "reason": "complaints from members"}, headers=fed["root"]
    )
    assert set_.status_code == 200, set_.get_json()
    me = client.get("/v1/members/me", headers=fed["old-shop"]).get_json()
    assert me["id"] == "old-shop" and me["standing"]["effective_trust"] == 0.5
    assert (
        me["standing"]["override"]["trust"] == 0.5 and me["standing"]["override"]["reason"] == "complaints from members"
    )
    hit = looked_up(client, app, fed)
    assert hit["identifier"]["confidence"] == pytest.approx(decayed(0.85) * 0.5, abs=1e-4)
    assert action(hit) == ("review", "weak_or_contested_match")  # 0.42 < strike threshold
    removed = client.post(
        "/v1/members/old-shop/trust", json={"override": None, "reason": "cleared"}, headers=fed["root"]
    )
    assert (
        removed.get_json()["standing"]["effective_trust"] == 1.0 and removed.get_json()["standing"]["override"] is None
    )
    base = client.post("/v1/members/old-shop/trust", json={"base": 0.9, "reason": "contract tier"}, headers=fed["root"])
    assert base.get_json()["trust_weight"] == 0.9 and base.get_json()["standing"]["effective_trust"] == 0.9
    events = [e for e in history(db.session, "member:old-shop") if e.tag.startswith("member:trust")]
    assert [(e.tag, e.actor, e.payload["reason"], e.payload["to"]) for e in events] == [
        ("member:trust_overridden", "root", "complaints from members", 0.5),
        ("member:trust_override_removed", "root", "cleared", None),
        ("member:trust_set", "root", "contract tier", 0.9),
    ]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"override": 1.5, "reason": "x"}, "/override"),
        ({"base": -0.1, "reason": "x"}, "/base"),
        ({"override": 0.5}, "/reason"),
        ({"override": 0.5, "reason": ""}, "/reason"),
        ({"reason": "nothing to change"}, "/override"),
    ],
)
def test_bad_trust_changes_are_refused_field_by_field(client, db, fed, body, pointer):
    response = client.post("/v1/members/old-shop/trust", json=body, headers=fed["root"])
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert pointer in [e["pointer"] for e in response.get_json()["errors"]]
    assert [e.tag for e in history(db.session, "member:old-shop") if e.tag.startswith("member:trust")] == []


def test_only_admins_change_trust_and_members_see_only_their_own_standing(client, fed):
    assert (
        client.post(
            "/v1/members/old-shop/trust", json={"base": 0.1, "reason": "x"}, headers=fed["old-shop"]
        ).status_code
        == 403
    )
    assert client.get("/v1/members/old-shop", headers=fed["risk-c"]).status_code == 403
    assert client.get("/v1/members/me").status_code == 401
    listed = client.get("/v1/members", headers=fed["root"]).get_json()
    assert all("standing" not in m for m in listed)  # one member at a time


def test_cli_overrides_trust_ends_probation_and_shows_standing(client, app, db, fed, cli):
    put_on_probation(client, fed, "new-shop")
    assert '"effective_trust": 0.3' in cli("members", "trust", "old-shop", "--override", "0.3", "--reason", "audit")
    assert '"on_probation": false' in cli("members", "probation", "new-shop", "--end", "--reason", "vetted")
    shown = cli("members", "standing", "old-shop")
    assert '"reason": "audit"' in shown
    assert '"override": null' in cli("members", "trust", "old-shop", "--clear-override", "--reason", "done")
    cli("members", "probation", "new-shop", "--reason", "x", ok=False)  # --until or --end
    assert [e.tag for e in history(db.session, "member:old-shop") if e.tag.startswith("member:trust")] == [
        "member:trust_overridden",
        "member:trust_override_removed",
    ]


def test_enough_confirmed_listings_end_probation_at_the_tick(client, app, db, fed, cli, monkeypatch):
    monkeypatch.setitem(app.config, "PROBATION_CONFIRMED_ENTRIES", 2)
    put_on_probation(client, fed, "new-shop")
    for case, phone in [("n1", PHONE), ("n2", OTHER)]:
        ref = list_entry(client, app, fed["new-shop"], case, phone=phone)
        assert client.post(f"/v1/entries/{ref}/confirm", json={}, headers=fed["fed-review"]).status_code == 200
    list_entry(client, app, fed["new-shop"], "n3", phone=THIRD)
    assert action(looked_up(client, app, fed, THIRD)) == ("review", "probation_uncorroborated")
    cli("tick")
    assert action(looked_up(client, app, fed, THIRD)) == ("warn_and_freeze", "first_strike")
    [ended] = [e for e in history(db.session, "member:new-shop") if e.tag == "member:probation_ended"]
    assert ended.actor == "system" and ended.payload["reason"] == "2 listings confirmed by reviewers"


def test_me_is_not_a_member_id(client, fed):
    response = client.post(
        "/v1/members", json={"id": "me", "display_name": "x", "roles": ["query"]}, headers=fed["root"]
    )
    assert response.status_code == 422 and response.get_json()["errors"][0]["pointer"] == "/id"
