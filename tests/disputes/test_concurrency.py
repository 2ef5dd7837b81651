"""Limits hold when requests race: each test releases >= 20 requests at once against a real server.

The requests go through ``live_server`` (the real app on a socket, one thread per request), all
held at a barrier and released together. Before the locks, on PostgreSQL: 20 disputes where 10
were allowed, 13 appeals through an address limit of 5, 12 code requests through a limit of 3;
on SQLite too, the dispute rule and racing ticks failed (checks read outside the write lock).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import func, select

from federation.disputes.models import Appeal, AppealIdentifier, Dispute
from federation.entries.models import Entry
from tests.api.test_appeals import LISTED, UNLISTED, appeal_body
from tests.api.test_disputes import digest, tick
from tests.api.test_lookups import list_entry

RACERS = 20


def race(count: int, send) -> list:
    """Call ``send(n)`` for n in 0..count-1 from ``count`` threads released together; the answers, in order."""
    barrier, answers = threading.Barrier(count), [None] * count

    def run(n: int) -> None:
        barrier.wait()
        try:
            answers[n] = send(n)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            answers[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(isinstance(answer, Exception) for answer in answers), answers
    return answers


def statuses(answers) -> Counter:
    return Counter(answer.status_code for answer in answers)


def fresh(db, query):
    db.session.rollback()  # a new snapshot: the server threads committed meanwhile
    return db.session.scalar(query)


@pytest.fixture
def members(client, app, auth, make_member):
    """A submitter with one entry on ``LISTED``, a reviewer, and ten members that query."""
    headers = {"shop-a": auth.headers(make_member("shop-a", roles=["submit"]))}
    headers["fed-review"] = auth.headers(make_member("fed-review", roles=["review"]))
    for n in range(10):
        headers[f"risk-{n}"] = auth.headers(make_member(f"risk-{n}", roles=["query"]))
    headers["entry"] = list_entry(client, app, headers["shop-a"], "a1", phone=LISTED)
    return headers


def test_one_open_dispute_per_member_and_entry_and_an_exact_open_count(live_server, db, members):
    entry = members["entry"]

    def dispute(n: int):
        return requests.post(
            f"{live_server}/v1/entries/{entry}/disputes",
            json={"reason": "The buyer showed us the code was never delivered.", "evidence": [digest(f"c{n}")]},
            headers=members[f"risk-{n % 10}"],  # every member twice
            timeout=60,
        )

    answers = race(RACERS, dispute)
    assert statuses(answers) == {201: 10, 409: 10}, [a.text for a in answers if a.status_code not in (201, 409)]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"dispute_open"}
    assert fresh(db, select(Entry.open_disputes).where(Entry.ref == entry)) == 10
    assert fresh(db, select(func.count()).select_from(Dispute).where(Dispute.state != "closed")) == 10

    refs = [a.json()["ref"] for a in answers if a.status_code == 201]
    decisions = race(
        len(refs) * 2,  # every decision sent twice: the second finds it closed
        lambda n: requests.post(
            f"{live_server}/v1/disputes/{refs[n % len(refs)]}/decision",
            json={
                "outcome": "rejected",
                "reason": "The listing stands.",
                "expedite_reason": "The submitter's evidence is already on file.",
            },
            headers=members["fed-review"],
            timeout=60,
        ),
    )
    assert statuses(decisions) == {200: 10, 409: 10}, [a.text for a in decisions if a.status_code >= 500]
    assert fresh(db, select(Entry.open_disputes).where(Entry.ref == entry)) == 0


def appeal(live_server: str, body: dict, **headers: str):
    return requests.post(f"{live_server}/v1/appeals", json=body, headers=headers, timeout=60)


@pytest.fixture
def limits(app, monkeypatch):
    """``limits(**changes)``: the appeal limits changed for one test."""
    settings = app.extensions["federation.due_process"]

    def change(**changes) -> None:
        monkeypatch.setitem(
            app.extensions, "federation.due_process", replace(settings, limits=replace(settings.limits, **changes))
        )

    return change


def appeals_stored(db) -> int:
    return fresh(db, select(func.count()).select_from(Appeal))


def test_appeals_from_one_address_stop_at_its_hourly_limit(live_server, db):
    answers = race(RACERS, lambda n: appeal(live_server, appeal_body(f"1370013{n:04d}")))
    assert statuses(answers) == {202: 5, 429: 15}
    assert appeals_stored(db) == 5


def test_appeals_about_one_identifier_from_one_address_stop_at_its_daily_limit(live_server, db):
    answers = race(RACERS, lambda n: appeal(live_server, appeal_body(UNLISTED, video=f"v{n}")))
    assert statuses(answers) == {202: 3, 429: 17}
    assert appeals_stored(db) == 3


def test_appeals_about_one_identifier_from_all_addresses_stop_at_their_daily_limit(live_server, db, limits):
    limits(per_address_hourly=100, per_identifier_daily=100, per_identifier_daily_all=4)
    answers = race(RACERS, lambda n: appeal(live_server, appeal_body(UNLISTED, video=f"v{n}")))
    assert statuses(answers) == {202: 4, 429: 16}
    assert appeals_stored(db) == 4


def test_racing_retries_of_one_filing_store_one_appeal_and_count_once(live_server, db):
    answers = race(RACERS, lambda n: appeal(live_server, appeal_body(UNLISTED), **{"Idempotency-Key": "one-filing"}))
    assert statuses(answers) == {202: RACERS} and len({a.text for a in answers}) == 1
    assert appeals_stored(db) == 1
    assert appeal(live_server, appeal_body("13700130001")).status_code == 202  # the retries were not counted


def test_status_code_requests_stop_at_the_limit_per_appeal(live_server, db):
    ref = appeal(live_server, appeal_body(UNLISTED)).json()["appeal"]
    answers = race(
        RACERS,
        lambda n: requests.post(
            f"{live_server}/v1/appeals/{ref}/status-code", json={"contact": "not-the-contact@example.cn"}, timeout=60
        ),
    )
    assert statuses(answers) == {202: 3, 429: 17}


def open_cases(db) -> dict[str, set[str]]:
    """Each identifier tag with the case refs of the open appeals naming it."""
    db.session.rollback()
    rows = db.session.execute(
        select(AppealIdentifier.tag, Appeal.case_ref)
        .join(Appeal, Appeal.id == AppealIdentifier.appeal_id)
        .where(Appeal.state.in_(("received", "under_review")))
    )
    cases: dict[str, set[str]] = {}
    for tag, case_ref in rows:
        cases.setdefault(tag, set()).add(case_ref)
    return cases


def test_racing_ticks_make_one_case_per_identifier_and_dispute_each_entry_once(app, live_server, db, members, limits):
    limits(per_address_hourly=100, per_identifier_daily=100)
    filed = race(RACERS, lambda n: appeal(live_server, appeal_body(LISTED, video=f"v{n}")))
    assert statuses(filed) == {202: RACERS}

    def ticked(_n: int):
        with app.app_context():
            return tick(datetime.now(UTC))

    reports = race(4, ticked)
    assert sum(report.appeals_matched for report in reports) == RACERS  # each appeal matched by one tick
    assert [len(refs) for refs in open_cases(db).values()] == [1]
    assert fresh(db, select(func.count()).select_from(Dispute).where(Dispute.state != "closed")) == 1
    assert fresh(db, select(Entry.open_disputes).where(Entry.ref == members["entry"])) == 1


def test_a_tick_racing_a_decision_never_leaves_two_open_cases(app, live_server, db, members, limits):
    limits(per_address_hourly=100, per_identifier_daily=100)
    first = appeal(live_server, appeal_body(LISTED, video="first")).json()["appeal"]
    with app.app_context():
        tick(datetime.now(UTC))
    race(RACERS, lambda n: appeal(live_server, appeal_body(LISTED, video=f"later-{n}")))

    def tick_or_decide(n: int):
        if n % 2:
            with app.app_context():
                return tick(datetime.now(UTC))
        return requests.post(
            f"{live_server}/v1/appeals/{first}/decision",
            json={
                "decision": "rejected",
                "reason": "The listing stands.",
                "expedite_reason": "The person's own evidence shows the complaint.",
            },
            headers=members["fed-review"],
            timeout=60,
        )

    answers = race(RACERS, tick_or_decide)
    assert all(getattr(answer, "status_code", 200) in (200, 409) for answer in answers)
    assert all(len(refs) <= 1 for refs in open_cases(db).values())
    open_appeals = fresh(db, select(func.count()).select_from(Appeal).where(Appeal.state == "under_review"))
    if open_appeals:  # the appeals that came after the decision form one case, disputing the entry again
        assert fresh(db, select(func.count()).select_from(Dispute).where(Dispute.state != "closed")) == 1
