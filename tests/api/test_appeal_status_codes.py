"""An appeal cannot be lost: a retried filing returns the same appeal and a working code, and a
lost code is replaced by one sent to the contact the appeal gave (a real SMTP server here)."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import func, select, text

from federation.disputes.models import Appeal
from federation.notify.smtp import SmtpNotifier
from tests.api.test_appeals import CONTACT, UNLISTED, appeal_body, file, status
from tests.api.test_disputes import tick
from tests.api.test_oauth import problem

CODE = re.compile(r"(?:新查询码：|New status code: )([A-Za-z0-9_-]+)")


def keyed(client, body, key: str, address: str = "203.0.113.200"):
    return client.post(
        "/v1/appeals", json=body, headers={"Idempotency-Key": key}, environ_base={"REMOTE_ADDR": address}
    )


def ask_for_code(client, ref: str, contact: str, address: str = "198.51.100.20"):
    return client.post(
        f"/v1/appeals/{ref}/status-code", json={"contact": contact}, environ_base={"REMOTE_ADDR": address}
    )


def appeals_stored(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Appeal))


@pytest.fixture
def mail(app, smtp_inbox, monkeypatch):
    """The app's messages go to a real SMTP server through the production backend."""
    monkeypatch.setattr(
        app.extensions["federation.postman"], "notifier", SmtpNotifier(smtp_inbox.url, "appeals@fed.test")
    )
    return smtp_inbox


def test_a_retry_after_a_lost_answer_returns_the_same_appeal_and_a_working_code(client, db):
    first = keyed(client, appeal_body(UNLISTED), "retry-1")
    again = keyed(client, appeal_body(UNLISTED), "retry-1", address="192.0.2.9")  # from another network
    assert first.status_code == again.status_code == 202
    assert first.get_json() == again.get_json()
    assert status(client, again.get_json()).status_code == 200
    assert appeals_stored(db) == 1


def test_a_retry_still_works_once_the_address_limit_is_reached(client, db):
    for n in range(5):
        keyed(client, appeal_body(f"1370013{n:04d}"), f"k{n}", address="198.51.100.7")
    replay = keyed(client, appeal_body("13700130004"), "k4", address="198.51.100.7")
    assert replay.status_code == 202 and status(client, replay.get_json()).status_code == 200
    assert problem(keyed(client, appeal_body("13700139999"), "k9", address="198.51.100.7"), 429)


def test_a_guessed_key_with_other_content_reaches_nothing_of_the_first_appeal(client, db):
    """The key is bound to the appeal's content: a stranger gets an appeal of their own."""
    mine = keyed(client, appeal_body(UNLISTED), "guessable").get_json()
    theirs = keyed(client, appeal_body(UNLISTED, contact="stranger@example.cn"), "guessable").get_json()
    assert theirs["appeal"] != mine["appeal"] and theirs["status_token"] != mine["status_token"]
    assert status(client, mine).status_code == status(client, theirs).status_code == 200


def test_an_overlong_idempotency_key_is_refused(client, db):
    assert problem(keyed(client, appeal_body(UNLISTED), "k" * 129), 422)["errors"][0]["pointer"] == "/Idempotency-Key"


def test_eight_racing_retries_store_one_appeal_and_all_answer_the_same_working_code(live_server, db):
    barrier, answers = threading.Barrier(8), []

    def retry() -> None:
        barrier.wait()
        answers.append(
            requests.post(
                f"{live_server}/v1/appeals", json=appeal_body(UNLISTED), headers={"Idempotency-Key": "race"}, timeout=30
            )
        )

    threads = [threading.Thread(target=retry) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [answer.status_code for answer in answers] == [202] * 8
    assert len({answer.text for answer in answers}) == 1
    receipt = answers[0].json()
    shown = requests.get(
        f"{live_server}/v1/appeals/{receipt['appeal']}", headers={"Appeal-Token": receipt["status_token"]}, timeout=10
    )
    assert shown.status_code == 200
    db.session.rollback()
    assert appeals_stored(db) == 1


@pytest.mark.parametrize(("language", "subject"), [("zh-CN", "您的申诉查询码"), ("en", "Your appeal status code")])
def test_a_lost_code_is_replaced_by_one_sent_to_the_contact(client, app, db, mail, language, subject):
    receipt = file(client, appeal_body(UNLISTED, language=language)).get_json()
    answer = ask_for_code(client, receipt["appeal"], f"  {CONTACT.upper()} ")  # as typed again, roughly
    assert answer.status_code == 202
    message = mail.next()
    assert message["To"] == CONTACT and message["Subject"] == subject and message["From"] == "appeals@fed.test"
    body = message.get_content()
    assert receipt["appeal"] in body and f"lang={language}" in body
    new_code = CODE.search(body).group(1)
    assert status(client, receipt, token=new_code).get_json()["state"] == "received"
    assert status(client, receipt).status_code == 404  # the lost code no longer works


def test_the_answer_is_the_same_whatever_the_appeal_or_the_contact(client, app, db, mail):
    receipt = file(client, appeal_body(UNLISTED)).get_json()
    answers = [
        ask_for_code(client, "ANOSUCHAPPEAL0000", CONTACT, address="198.51.100.21"),
        ask_for_code(client, receipt["appeal"], "someone-else@example.cn", address="198.51.100.22"),
        ask_for_code(client, receipt["appeal"], CONTACT, address="198.51.100.23"),
    ]
    assert {(a.status_code, a.get_data()) for a in answers} == {(202, answers[0].get_data())}
    assert mail.next()["To"] == CONTACT
    app.extensions["federation.postman"].drain()
    assert mail.empty()  # one message: only the matching contact got one


def test_code_requests_are_rate_limited_per_address_and_per_appeal(client, db, mail):
    receipt = file(client, appeal_body(UNLISTED)).get_json()
    per_appeal = [ask_for_code(client, receipt["appeal"], "x@example.cn", address="198.51.100.30") for n in range(4)]
    assert [a.status_code for a in per_appeal] == [202, 202, 202, 429]
    # A stranger using up its requests for this appeal number leaves the person's own untouched.
    assert ask_for_code(client, receipt["appeal"], CONTACT, address="198.51.100.31").status_code == 202
    assert receipt["appeal"] in mail.next().get_content()  # the person got the new code
    per_address = [ask_for_code(client, f"ANOSUCH{n}", CONTACT, address="198.51.100.40") for n in range(6)]
    assert [a.status_code for a in per_address] == [202] * 5 + [429]
    unknown = [ask_for_code(client, "ANOSUCHAPPEAL", CONTACT, address="198.51.100.50") for n in range(4)]
    assert [a.status_code for a in unknown] == [202, 202, 202, 429]  # the same limit, appeal or not
    assert problem(unknown[-1], 429)["status"] == problem(per_appeal[-1], 429)["status"]


def test_the_decision_is_sent_to_the_contact_which_is_then_erased(client, app, db, mail, auth, make_member):
    """The contact's one purpose: the tick mails the decision (real SMTP), then erases the address."""
    reviewer = auth.headers(make_member("fed-review", roles=["review"]))
    receipt = file(client, appeal_body(UNLISTED)).get_json()
    tick(datetime.now(UTC))
    client.post(
        f"/v1/appeals/{receipt['appeal']}/decision",
        json={"decision": "closed_no_match", "reason": "Nothing listed under these numbers."},
        headers=reviewer,
    )
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0 and "decisions sent 1" in result.output, result.output
    app.extensions["federation.postman"].drain()
    notice = mail.next()
    assert notice["To"] == CONTACT and receipt["appeal"] in notice.get_content()
    assert "Nothing listed under these numbers." in notice.get_content()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT contact_encrypted FROM appeals")).scalar() is None
    assert "decisions sent 0" in app.test_cli_runner().invoke(args=["tick"]).output  # sent once
    assert ask_for_code(client, receipt["appeal"], CONTACT).status_code == 202  # nothing left to send a code to
    app.extensions["federation.postman"].drain()
    assert mail.empty()
    assert status(client, receipt).get_json()["state"] == "closed_no_match"  # the old code still reads it


def test_a_new_code_is_recorded_without_the_contact(client, app, db, mail):
    receipt = file(client, appeal_body(UNLISTED)).get_json()
    ask_for_code(client, receipt["appeal"], CONTACT)
    mail.next()
    with db.engine.connect() as conn:
        events = conn.execute(text("SELECT tag, payload FROM events WHERE tag = 'appeal:code_reissued'")).all()
    assert len(events) == 1 and CONTACT not in str(events)


def test_a_retry_after_a_new_code_was_sent_answers_the_new_code(client, db, mail):
    first = keyed(client, appeal_body(UNLISTED), "then-lost").get_json()
    ask_for_code(client, first["appeal"], CONTACT)
    sent = CODE.search(mail.next().get_content()).group(1)
    again = keyed(client, appeal_body(UNLISTED), "then-lost").get_json()
    assert again["appeal"] == first["appeal"] and again["status_token"] == sent != first["status_token"]
    assert status(client, again).status_code == 200 and status(client, first).status_code == 404
