"""Public appeals: no credentials, no oracle, raw identifiers never kept, decisions that bite."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import logging
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, text

from federation.disputes.calendar import WorkingCalendar
from tests.api.test_disputes import tick
from tests.api.test_lookups import list_entry, lookup, query
from tests.api.test_oauth import problem

LISTED, UNLISTED = "13800138000", "13700137000"
CONTACT = "appellant@example.cn"
SHANGHAI = ZoneInfo("Asia/Shanghai")
_addresses = (f"203.0.113.{n}" for n in itertools.count(1))


def appeal_body(phone: str, *, video: str = "video-1", **overrides) -> dict:
    return {
        "identifiers": [{"type": "phone", "value": phone}],
        "statement": "I never filed a complaint on that platform; this is not my account.",
        "contact": CONTACT,
        "evidence": [{"kind": "id_video", "sha256": hashlib.sha256(video.encode()).hexdigest()}],
        **overrides,
    }


def file(client, body, address: str | None = None):
    return client.post("/v1/appeals", json=body, environ_base={"REMOTE_ADDR": address or next(_addresses)})


def status(client, receipt: dict, token: str | None = None):
    return client.get(f"/v1/appeals/{receipt['appeal']}", headers={"Appeal-Token": token or receipt["status_token"]})


@pytest.fixture
def listed(client, app, auth, make_member):
    """An entry on ``LISTED``, a reviewer and a querying member."""
    headers = {
        name: auth.headers(make_member(name, roles=roles))
        for name, roles in [("shop-a", ["submit"]), ("fed-review", ["review"]), ("risk-c", ["query"])]
    }
    headers["entry"] = list_entry(client, app, headers["shop-a"], "a1", phone=LISTED)
    return headers


def test_the_answer_is_the_same_whether_or_not_anything_is_listed(client, listed):
    answers = [file(client, appeal_body(phone)) for phone in (LISTED, UNLISTED)]
    assert [a.status_code for a in answers] == [202, 202]
    shapes = [sorted(a.get_json()) for a in answers]
    assert shapes[0] == shapes[1] == ["appeal", "state", "status_token"]
    assert {a.get_json()["state"] for a in answers} == {"received"}
    assert {len(a.get_data()) for a in answers} == {len(answers[0].get_data())}


def test_filing_runs_the_same_statements_whether_or_not_anything_is_listed(client, listed, db):
    """The database work, and so the time, does not depend on the list: matching happens later."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    file(client, appeal_body(LISTED))
    for_listed, statements[:] = list(statements), []
    file(client, appeal_body(UNLISTED))
    event.remove(db.engine, "before_cursor_execute", record)
    assert statements == for_listed and "entry_identifiers" not in " ".join(statements)


def test_raw_identifiers_and_contacts_are_never_stored_or_logged(client, listed, db, caplog):
    caplog.set_level(logging.DEBUG)
    receipt = file(client, appeal_body("+86 137 0013 7000")).get_json()
    tick(datetime.now(UTC))
    dump = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            dump += [str(row) for row in conn.execute(table.select())]
    text_dump = "\n".join(dump) + caplog.text
    for secret in ("13700137000", "+8613700137000", "137 0013 7000", CONTACT):
        assert secret not in text_dump
    assert status(client, receipt).status_code == 200


def test_status_needs_the_token_and_an_unknown_appeal_looks_the_same(client, listed):
    receipt = file(client, appeal_body(UNLISTED)).get_json()
    wrong = problem(status(client, receipt, token="not-the-token"), 404)
    unknown = problem(status(client, {**receipt, "appeal": "ANOSUCHAPPEAL"}), 404)
    assert wrong == unknown
    shown = status(client, receipt).get_json()
    assert shown["state"] == "received" and datetime.fromisoformat(shown["decide_by"]) > datetime.now(UTC)


def test_every_appeal_goes_under_review_and_only_matches_open_cases(client, app, listed):
    hit = file(client, appeal_body(LISTED)).get_json()
    miss = file(client, appeal_body(UNLISTED)).get_json()
    assert tick(datetime.now(UTC)).appeals_matched == 2
    assert status(client, hit).get_json()["state"] == status(client, miss).get_json()["state"] == "under_review"
    queue = client.get("/v1/review/appeals", headers=listed["fed-review"]).get_json()["appeals"]
    cases = {a["appeal"]: a["disputes"] for a in queue}
    assert len(cases[hit["appeal"]]) == 1 and cases[miss["appeal"]] == []
    matched = lookup(client, listed["risk-c"], query(app, LISTED)).get_json()["identifiers"][0]
    assert matched["matches"][0]["state"] == "disputed"


def answer_every_case(client, listed, answer: str = "uphold") -> None:
    """The submitter answers the disputes appeals opened: a reviewer decides after hearing it."""
    for case in client.get("/v1/disputes?role=submitter&open=true", headers=listed["shop-a"]).get_json()["disputes"]:
        body = {"answer": answer, "evidence": [{"kind": "chat_log", "sha256": "b" * 64}]}
        assert client.post(f"/v1/disputes/{case['ref']}/answer", json=body, headers=listed["shop-a"]).status_code == 200


def test_an_upheld_appeal_delists_and_the_contact_goes_once_told(client, app, listed, db):
    receipt = file(client, appeal_body(LISTED)).get_json()
    tick(datetime.now(UTC))
    answer_every_case(client, listed)
    decided = client.post(
        f"/v1/appeals/{receipt['appeal']}/decision",
        json={"decision": "upheld", "reason": "The video matches the ID; the account was stolen."},
        headers=listed["fed-review"],
    )
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["decided_by"] == "fed-review"
    shown = status(client, receipt).get_json()
    assert shown["state"] == "upheld" and shown["decision_reason"].startswith("The video matches")
    assert lookup(client, listed["risk-c"], query(app, LISTED)).get_json()["identifiers"][0]["matched"] is False
    with db.engine.connect() as conn:  # kept until the tick has sent the decision to it
        assert conn.execute(text("SELECT contact_encrypted FROM appeals")).scalar() is not None
    assert app.test_cli_runner().invoke(args=["tick"]).exit_code == 0
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT contact_encrypted FROM appeals")).scalar() is None


def test_a_rejected_appeal_keeps_the_listing_and_says_why(client, app, listed):
    receipt = file(client, appeal_body(LISTED)).get_json()
    tick(datetime.now(UTC))
    answer_every_case(client, listed)
    client.post(
        f"/v1/appeals/{receipt['appeal']}/decision",
        json={"decision": "rejected", "reason": "Redemption logs show the code was used by this phone."},
        headers=listed["fed-review"],
    )
    shown = status(client, receipt).get_json()
    assert shown["state"] == "rejected" and "Redemption logs" in shown["decision_reason"]
    assert lookup(client, listed["risk-c"], query(app, LISTED)).get_json()["identifiers"][0]["matched"]


def test_closed_no_match_is_a_reviewers_word_and_only_for_unmatched_appeals(client, listed):
    hit = file(client, appeal_body(LISTED)).get_json()
    miss = file(client, appeal_body(UNLISTED)).get_json()
    early = client.post(
        f"/v1/appeals/{miss['appeal']}/decision",
        json={"decision": "closed_no_match", "reason": "-"},
        headers=listed["fed-review"],
    )
    assert problem(early, 409)["code"] == "appeal_state"  # not before matching has run
    tick(datetime.now(UTC))
    wrong = client.post(
        f"/v1/appeals/{hit['appeal']}/decision",
        json={"decision": "closed_no_match", "reason": "-"},
        headers=listed["fed-review"],
    )
    assert problem(wrong, 409)["code"] == "appeal_matched"
    client.post(
        f"/v1/appeals/{miss['appeal']}/decision",
        json={"decision": "closed_no_match", "reason": "Nothing listed under these identifiers."},
        headers=listed["fed-review"],
    )
    assert status(client, miss).get_json()["state"] == "closed_no_match"


def test_no_repeat_appeal_without_new_evidence(client, listed):
    receipt = file(client, appeal_body(UNLISTED)).get_json()
    tick(datetime.now(UTC))
    client.post(
        f"/v1/appeals/{receipt['appeal']}/decision",
        json={"decision": "closed_no_match", "reason": "Nothing listed."},
        headers=listed["fed-review"],
    )
    assert problem(file(client, appeal_body(UNLISTED)), 409)["code"] == "repeat_appeal"
    assert file(client, appeal_body(UNLISTED, video="new-video")).status_code == 202


def test_appeals_are_rate_limited_per_client_address(client, listed):
    phones = [f"1370013{n:04d}" for n in range(6)]
    answers = [file(client, appeal_body(phone), address="198.51.100.7").status_code for phone in phones]
    assert answers == [202] * 5 + [429]


def test_appeals_are_rate_limited_per_identifier(client, app, listed):
    for n in range(3):
        receipt = file(client, appeal_body(UNLISTED, video=f"v{n}"), address="198.51.100.20").get_json()
        tick(datetime.now(UTC))
        client.post(
            f"/v1/appeals/{receipt['appeal']}/decision",
            json={"decision": "closed_no_match", "reason": "Nothing listed."},
            headers=listed["fed-review"],
        )
    assert file(client, appeal_body(UNLISTED, video="v9"), address="198.51.100.20").status_code == 429


def test_a_squatter_cannot_lock_the_person_out_but_a_flood_stops(client, listed):
    """3 appeals a day about a phone from one address do not block the person appealing from theirs."""
    squatter = [file(client, appeal_body(UNLISTED, video=f"s{n}"), address="198.51.100.66") for n in range(4)]
    assert [a.status_code for a in squatter] == [202, 202, 202, 429]
    assert file(client, appeal_body(UNLISTED, video="mine"), address="203.0.113.10").status_code == 202
    flood = [file(client, appeal_body(UNLISTED, video=f"f{n}"), address=f"192.0.2.{n}") for n in range(17)]
    assert [a.status_code for a in flood] == [202] * 16 + [429]  # 4 + 16 = 20 from all addresses today


def test_invalid_identifiers_are_refused_without_echoing_them(client, listed):
    body = appeal_body("12345")
    answer = problem(file(client, body), 422)
    assert answer["errors"][0]["pointer"] == "/identifiers/0/value" and "12345" not in str(answer)
    no_video = appeal_body(UNLISTED, evidence=[{"kind": "chat_log", "sha256": "a" * 64}])
    assert problem(file(client, no_video), 422)["errors"][0]["pointer"] == "/evidence"


def weekdays_between(first: date, last: date) -> int:
    """Mondays to Fridays after ``first`` up to ``last``: the calendar, counted independently."""
    return sum((first + timedelta(days=n)).weekday() < 5 for n in range(1, (last - first).days + 1))


def test_an_appeal_is_decided_within_fifteen_working_days_ending_in_shanghai(client, listed):
    filed_on = datetime.now(SHANGHAI).date()
    receipt = file(client, appeal_body(UNLISTED)).get_json()
    shown = status(client, receipt).get_json()
    decide_by = datetime.fromisoformat(shown["decide_by"]).astimezone(SHANGHAI)
    assert shown["time_zone"] == "Asia/Shanghai" and shown["decide_by_date"] == decide_by.date().isoformat()
    assert decide_by.time() == time(23, 59, 59) and decide_by.weekday() < 5
    assert weekdays_between(filed_on, decide_by.date()) == 15


def test_configured_holidays_move_the_appeal_deadline(client, app, listed, monkeypatch):
    settings = app.extensions["federation.due_process"]
    today = datetime.now(SHANGHAI).date()
    holidays = [today + timedelta(days=n) for n in range(1, 15) if (today + timedelta(days=n)).weekday() < 5][:5]
    calendar = WorkingCalendar.from_settings("Asia/Shanghai", [d.isoformat() for d in holidays], [])
    deadlines = replace(settings.deadlines, calendar=calendar)
    monkeypatch.setitem(app.extensions, "federation.due_process", replace(settings, deadlines=deadlines))
    receipt = file(client, appeal_body(UNLISTED)).get_json()
    due = date.fromisoformat(status(client, receipt).get_json()["decide_by_date"])
    assert weekdays_between(today, due) == 15 + 5


def test_an_overdue_appeal_is_flagged_and_never_counts_against_the_person(client, app, listed, cli, monkeypatch):
    """Even before the submitter had to answer: a 1-working-day deadline comes before the 14 days."""
    settings = app.extensions["federation.due_process"]
    short = replace(settings, deadlines=replace(settings.deadlines, appeal_working_days=1))
    monkeypatch.setitem(app.extensions, "federation.due_process", short)
    receipt = file(client, appeal_body(LISTED)).get_json()
    tick(datetime.now(UTC))
    queue = client.get("/v1/review/appeals", headers=listed["fed-review"]).get_json()["appeals"]
    assert [a["overdue"] for a in queue] == [False] and "OVERDUE" not in cli("appeals", "queue")
    (case,) = queue[0]["disputes"]
    decide_by = datetime.fromisoformat(status(client, receipt).get_json()["decide_by"])
    assert tick(decide_by - timedelta(seconds=1)).review_overdue == 0
    assert tick(decide_by + timedelta(seconds=1)).review_overdue == 1
    matched = lookup(client, listed["risk-c"], query(app, LISTED)).get_json()["identifiers"][0]
    assert matched["matches"][0]["state"] == "suspended" and matched["confidence"] == 0.0
    monkeypatch.setattr("federation.api.schemas.disputes.utcnow", lambda: decide_by + timedelta(seconds=1))
    monkeypatch.setattr("federation.cli.due_process.utcnow", lambda: decide_by + timedelta(seconds=1))
    queue = client.get("/v1/review/appeals", headers=listed["fed-review"]).get_json()["appeals"]
    assert [a["overdue"] for a in queue] == [True]
    assert f"{receipt['appeal']}  under_review  decide by" in cli("appeals", "queue")
    assert "OVERDUE" in cli("appeals", "queue")
    shown = client.get(f"/v1/disputes/{case}", headers=listed["fed-review"]).get_json()
    assert shown["overdue"] and shown["decide_by"] == status(client, receipt).get_json()["decide_by"]


def test_evidence_files_can_be_uploaded_with_the_appeal_and_must_match_a_declared_digest(client, app, listed):
    video = b"\x00\x00\x00 ftypmp42 handheld ID"
    body = appeal_body(UNLISTED, evidence=[{"kind": "id_video", "sha256": hashlib.sha256(video).hexdigest()}])
    sent = client.post(
        "/v1/appeals",
        data={"appeal": json.dumps(body), "files": (io.BytesIO(video), "id.mp4")},
        content_type="multipart/form-data",
        environ_base={"REMOTE_ADDR": next(_addresses)},
    )
    assert sent.status_code == 202, sent.get_json()
    folder = app.extensions["federation.due_process"].upload_dir
    assert (folder / hashlib.sha256(video).hexdigest()).read_bytes() == video
    stranger = client.post(
        "/v1/appeals",
        data={"appeal": json.dumps(appeal_body(LISTED)), "files": (io.BytesIO(b"another file"), "x.bin")},
        content_type="multipart/form-data",
        environ_base={"REMOTE_ADDR": next(_addresses)},
    )
    assert problem(stranger, 422)["errors"][0]["pointer"] == "/files/0"


def file_with_video(client, body: dict, video: bytes, address: str):
    return client.post(
        "/v1/appeals",
        data={"appeal": json.dumps(body), "files": (io.BytesIO(video), "id.mp4")},
        content_type="multipart/form-data",
        environ_base={"REMOTE_ADDR": address},
    )


def test_a_refused_appeal_leaves_no_file_in_the_upload_folder(client, app, listed):
    """Files are spooled and kept only once the appeal passed validation and limits (no disk flooding)."""
    folder = app.extensions["federation.due_process"].upload_dir

    def stored() -> set[str]:
        return {path.name for path in folder.iterdir()} if folder.exists() else set()

    before = stored()
    video = b"\x00\x00\x00 ftypmp42 refused"
    digest = hashlib.sha256(video).hexdigest()
    evidence = [{"kind": "id_video", "sha256": digest}]
    invalid = file_with_video(client, appeal_body(UNLISTED, evidence=evidence, statement=""), video, next(_addresses))
    assert problem(invalid, 422)["code"] == "validation_failed"
    assert stored() == before
    address = next(_addresses)
    for n in range(5):  # the limit per client address
        assert file(client, appeal_body(f"1370013{n:04d}"), address=address).status_code == 202
    limited = file_with_video(client, appeal_body(UNLISTED, evidence=evidence), video, address)
    assert problem(limited, 429)
    assert stored() == before
    accepted = file_with_video(client, appeal_body(UNLISTED, evidence=evidence), video, next(_addresses))
    assert accepted.status_code == 202
    assert stored() == before | {digest}


@pytest.mark.parametrize(("trusted", "expected"), [(1, [202] * 10), (0, [202] * 5 + [429] * 5)])
def test_behind_a_trusted_proxy_the_limit_counts_the_forwarded_client(make_database_url, tmp_path, trusted, expected):
    """Two appellants behind one proxy: two addresses if the proxy is trusted, one if not."""
    from flask_migrate import upgrade

    from federation.extensions import db as _db
    from tests.conftest import build_app

    app = build_app(make_database_url("sqlite"), str(tmp_path), TRUSTED_PROXIES=trusted)
    with app.app_context():
        upgrade()
        client = app.test_client()
        codes = [
            client.post(
                "/v1/appeals",
                json=appeal_body(f"1370013{n:04d}"),
                headers={"X-Forwarded-For": f"198.51.100.{n // 5}"},  # five appeals per client
                environ_base={"REMOTE_ADDR": "10.0.0.1"},  # the proxy
            ).status_code
            for n in range(10)
        ]
        _db.engine.dispose()
    assert codes == expected
