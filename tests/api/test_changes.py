"""The change feed (ordered, resumable, gap-free, no hashes) and signed webhooks with a delivery log."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from flask import current_app

from federation.events.feed import changes_after
from federation.events.service import record
from federation.extensions import db as _db
from federation.webhooks.destinations import webhook_transport
from federation.webhooks.dispatch import MAX_ATTEMPTS, deliver_due
from federation_client.webhooks import WebhookSignatureError, verify
from tests.api.test_lookups import list_entry
from tests.api.test_oauth import problem
from tests.conftest import Receiver


@pytest.fixture
def members(client, app, auth, make_member):
    return {
        name: auth.headers(make_member(name, roles=roles))
        for name, roles in [("shop-a", ["submit"]), ("risk-c", ["query"])]
    }


def feed(client, headers, after=0, limit=100) -> dict:
    response = client.get(f"/v1/changes?after={after}&limit={limit}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_feed_lists_changes_in_order_without_hashes_or_reporters(client, app, members):
    first = list_entry(client, app, members["shop-a"], "a1")
    second = list_entry(client, app, members["shop-a"], "a2", phone="13900139000")
    client.post(f"/v1/entries/{first}/retract", json={"reason": "duplicate"}, headers=members["shop-a"])
    page = feed(client, members["risk-c"])
    assert [(c["position"], c["type"], c["entry"]) for c in page["changes"]] == [
        (1, "listed", first),
        (2, "listed", second),
        (3, "retracted", first),
    ]
    assert page["changes"][0]["data"] == {"category": "refund_after_use", "tier": 1}
    assert page["changes"][2]["data"] == {"from": "active"}
    text = json.dumps(page)
    assert "shop-a" not in text and "hash" not in text and "13800138000" not in text
    assert page["next_cursor"] == 3


def test_every_change_carries_the_data_the_docs_promise(client, app, db, members, auth, make_member):
    """docs/disputes.md: ``listed`` has category and tier; every other change the state it left."""
    from federation.disputes.deadlines import apply_deadlines
    from federation.disputes.settings import DueProcess
    from federation.entries import expiry

    members["risk-d"] = auth.headers(make_member("risk-d", roles=["query"]))
    members["review-e"] = auth.headers(make_member("review-e", roles=["review"]))
    kept = list_entry(client, app, members["shop-a"], "a1")
    gone = list_entry(client, app, members["shop-a"], "a2", phone="13900139000")
    disputes = []
    for ref in (kept, gone):
        body = {"reason": "The buyer showed us the code was never delivered.", "evidence": []}
        response = client.post(f"/v1/entries/{ref}/disputes", json=body, headers=members["risk-d"])
        assert response.status_code == 201, response.get_json()
        disputes.append(response.get_json()["ref"])
    settings = DueProcess.from_config(app.config, app.instance_path)
    later = datetime.now(UTC) + timedelta(days=15)
    apply_deadlines(
        db.session, now=later, deadlines=settings.deadlines, identifier_secrets=app.extensions["federation.identifiers"]
    )
    db.session.commit()
    for ref, outcome in zip(disputes, ("rejected", "upheld"), strict=True):
        decision = {"outcome": outcome, "reason": "Decided on the evidence of both sides."}
        response = client.post(f"/v1/disputes/{ref}/decision", json=decision, headers=members["review-e"])
        assert response.status_code == 200, response.get_json()
    expiry.purge(db.session, now=datetime.now(UTC) + timedelta(days=400))
    db.session.commit()
    changes = [(c["type"], c["entry"], c["data"]) for c in feed(client, members["risk-c"])["changes"]]
    listed = {"category": "refund_after_use", "tier": 1}
    assert changes == [
        ("listed", kept, listed),
        ("listed", gone, listed),
        ("suspended", kept, {"from": "active"}),
        ("suspended", gone, {"from": "active"}),
        ("reinstated", kept, {"from": "suspended"}),
        ("delisted", gone, {"from": "suspended"}),
        ("expired", kept, {"from": "active"}),
    ]


def test_the_feed_resumes_from_a_cursor(client, app, members):
    refs = [list_entry(client, app, members["shop-a"], f"a{n}", phone=f"1380013800{n}") for n in range(5)]
    first = feed(client, members["risk-c"], limit=2)
    rest = feed(client, members["risk-c"], after=first["next_cursor"])
    assert [c["entry"] for c in first["changes"] + rest["changes"]] == refs
    assert feed(client, members["risk-c"], after=rest["next_cursor"]) == {"changes": [], "next_cursor": 5}


def test_the_feed_needs_the_query_or_submit_scope(client, auth, make_member, members):
    reviewer = auth.headers(make_member("fed-review", roles=["review"]))
    assert problem(client.get("/v1/changes", headers=reviewer), 403)["code"] == "insufficient_scope"
    assert problem(client.get("/v1/changes?after=-1", headers=members["risk-c"]), 422)


# -- changes addressed to one member -----------------------------------------------------------------
def dispute(client, members, entry: str) -> dict:
    body = {
        "reason": "The buyer showed us the code was never delivered.",
        "evidence": [{"kind": "chat_log", "sha256": "c" * 64}],
    }
    response = client.post(f"/v1/entries/{entry}/disputes", json=body, headers=members["risk-c"])
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_submitter_is_told_its_entry_was_disputed_and_no_other_member_is(client, app, members):
    entry = list_entry(client, app, members["shop-a"], "a1")
    opened = dispute(client, members, entry)
    later = list_entry(client, app, members["shop-a"], "a2", phone="13900139000")
    # shop-a holds only the submit scope: it reads the changes addressed to it, at their global positions.
    told = feed(client, members["shop-a"])
    assert told == {
        "changes": [
            {
                "position": 2,
                "type": "dispute_opened",
                "entry": entry,
                "data": {
                    "dispute": opened["ref"],
                    "origin": "member",
                    "respond_by": told["changes"][0]["data"]["respond_by"],
                },
                "at": told["changes"][0]["at"],
            }
        ],
        "next_cursor": 2,
    }
    assert datetime.fromisoformat(told["changes"][0]["data"]["respond_by"]) == datetime.fromisoformat(
        opened["respond_by"]
    )
    assert "risk-c" not in json.dumps(told) and opened["reason"] not in json.dumps(told)
    public = feed(client, members["risk-c"])  # the disputing member, like every other, sees public changes only
    assert [(c["position"], c["type"], c["entry"]) for c in public["changes"]] == [
        (1, "listed", entry),
        (3, "listed", later),
    ]
    assert feed(client, members["risk-c"], after=1)["changes"][0]["position"] == 3  # its cursor skips position 2


def test_an_appeal_tells_the_submitter_nothing_of_the_appellant(client, app, members):
    from tests.api.test_appeals import appeal_body, file
    from tests.api.test_disputes import tick

    entry = list_entry(client, app, members["shop-a"], "a1")
    body = appeal_body("13800138000")
    file(client, body)
    tick(datetime.now(UTC))
    [told] = feed(client, members["shop-a"])["changes"]
    assert told["type"] == "dispute_opened" and told["entry"] == entry and told["data"]["origin"] == "appeal"
    assert sorted(told["data"]) == ["dispute", "origin", "respond_by"]
    assert body["statement"] not in json.dumps(told)


def test_a_submitter_is_reminded_once_before_its_answer_deadline(client, app, members):
    from tests.api.test_disputes import tick

    entry = list_entry(client, app, members["shop-a"], "a1")
    opened = dispute(client, members, entry)
    respond_by = datetime.fromisoformat(opened["respond_by"])
    assert tick(respond_by - timedelta(days=3, minutes=1)).warned == 0  # FEDERATION_DEADLINE_WARNING_DAYS = 3
    assert tick(respond_by - timedelta(days=2)).warned == 1
    assert tick(respond_by - timedelta(days=1)).warned == 0  # once per dispute
    told = feed(client, members["shop-a"])["changes"]
    assert [c["type"] for c in told] == ["dispute_opened", "dispute_deadline_near"]
    assert told[1]["entry"] == entry and told[1]["data"]["dispute"] == opened["ref"]
    assert datetime.fromisoformat(told[1]["data"]["respond_by"]) == respond_by
    assert "dispute_deadline_near" not in json.dumps(feed(client, members["risk-c"]))


def test_the_reminder_lead_time_is_configurable(app):
    from federation.disputes.service import Deadlines

    assert Deadlines.from_config({**app.config, "DEADLINE_WARNING_DAYS": 5}).warning_days == 5


def test_positions_follow_commit_order_even_when_a_transaction_started_first(app, db):
    """The slow transaction records its event first but commits last: it must come after, not before."""
    recorded, slow_may_commit = threading.Event(), threading.Event()
    now = datetime.now(UTC)

    def slow() -> None:
        with app.app_context():
            record(_db.session, "entry:listed", "entry:ESLOW", actor="t", now=now, payload={"ref": "ESLOW"})
            _db.session.flush()  # its event row (and id) exists now
            recorded.set()
            slow_may_commit.wait(10)
            _db.session.commit()
            _db.session.remove()

    thread = threading.Thread(target=slow)
    thread.start()
    recorded.wait(10)
    if _db.engine.dialect.name == "sqlite":
        # SQLite lets one writer in at a time: the slow transaction holds the lock, so the fast one
        # can only come after it; commit order is write order there by construction.
        slow_may_commit.set()
        thread.join()
        record(_db.session, "entry:listed", "entry:EFAST", actor="t", now=now, payload={"ref": "EFAST"})
        _db.session.commit()
        expected = ["ESLOW", "EFAST"]
    else:
        record(_db.session, "entry:listed", "entry:EFAST", actor="t", now=now, payload={"ref": "EFAST"})
        _db.session.commit()
        seen_between = [c.entry for c in changes_after(_db.session, 0, 10)]
        _db.session.commit()
        slow_may_commit.set()
        thread.join()
        assert seen_between == ["EFAST"]  # a reader at this moment has position 1 only
        expected = ["EFAST", "ESLOW"]
    changes = changes_after(_db.session, 0, 10)
    assert [c.entry for c in changes] == expected and [c.position for c in changes] == [1, 2]


def test_concurrent_writers_leave_no_gaps(app, db):
    def write(n: int) -> None:
        with app.app_context():
            for i in range(5):
                ref = f"E{n}X{i}"
                record(
                    _db.session, "entry:listed", f"entry:{ref}", actor="t", now=datetime.now(UTC), payload={"ref": ref}
                )
                _db.session.commit()
            _db.session.remove()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    changes = changes_after(_db.session, 0, 100)
    assert [c.position for c in changes] == list(range(1, 21))
    assert len({c.entry for c in changes}) == 20


# -- webhooks --------------------------------------------------------------------------------------
def dispatch(now: datetime):
    transport = webhook_transport(current_app.config)
    report = deliver_due(_db.session, current_app.extensions["federation.auth"].key_set, now=now, transport=transport)
    _db.session.commit()
    return report


def test_a_webhook_receives_each_change_signed_and_the_sdk_verifies_it(client, app, members, receiver):
    added = client.post("/v1/members/risk-c/webhooks", json={"url": receiver.url}, headers=members["risk-c"])
    assert added.status_code == 201, added.get_json()
    ref = list_entry(client, app, members["shop-a"], "a1")
    assert dispatch(datetime.now(UTC)).delivered == 1
    [(headers, body)] = receiver.received
    jwks = client.get("/.well-known/jwks.json").get_json()
    change = verify(body, headers["Federation-Signature"], jwks)
    assert change["type"] == "listed" and change["entry"] == ref and change["position"] == 1
    with pytest.raises(WebhookSignatureError):
        verify(body.replace(b"listed", b"delisted"), headers["Federation-Signature"], jwks)
    with pytest.raises(WebhookSignatureError, match="too old"):
        verify(body, headers["Federation-Signature"], jwks, now=datetime.now(UTC).timestamp() + 3600)
    assert dispatch(datetime.now(UTC)).delivered == 0  # delivered once


def test_failed_deliveries_are_retried_with_backoff_and_logged(client, app, members, receiver):
    hook = client.post("/v1/members/risk-c/webhooks", json={"url": receiver.url}, headers=members["risk-c"]).get_json()
    list_entry(client, app, members["shop-a"], "a1")
    receiver.status = 503
    now = datetime.now(UTC)
    assert dispatch(now).retrying == 1
    assert dispatch(now + timedelta(seconds=29)).retrying == 0  # not due yet: 30 s after the first failure
    assert dispatch(now + timedelta(seconds=31)).retrying == 1  # then 60 s after the second
    assert dispatch(now + timedelta(seconds=31 + 59)).retrying == 0
    receiver.status = 200
    assert dispatch(now + timedelta(seconds=31 + 61)).delivered == 1
    log = client.get(f"/v1/members/risk-c/webhooks/{hook['id']}/deliveries", headers=members["risk-c"]).get_json()
    [delivery] = log
    assert delivery["state"] == "delivered" and delivery["attempts"] == 3
    assert [a["status_code"] for a in delivery["log"]] == [503, 503, 200]


def test_a_delivery_gives_up_after_the_last_attempt(client, app, members, receiver):
    client.post("/v1/members/risk-c/webhooks", json={"url": receiver.url}, headers=members["risk-c"])
    list_entry(client, app, members["shop-a"], "a1")
    receiver.server.shutdown()
    receiver.server.server_close()  # nothing listens: connection refused
    when = datetime.now(UTC)
    for _ in range(MAX_ATTEMPTS):
        report = dispatch(when)
        when += timedelta(hours=7)
    assert report.failed == 1


def test_an_addressed_change_is_delivered_only_to_its_recipients_webhooks(client, app, members):
    receivers = {name: Receiver() for name in ("shop-a", "risk-c")}
    try:
        for name, receiver in receivers.items():  # shop-a holds only the submit scope
            added = client.post(f"/v1/members/{name}/webhooks", json={"url": receiver.url}, headers=members[name])
            assert added.status_code == 201, added.get_json()
        entry = list_entry(client, app, members["shop-a"], "a1")
        opened = dispute(client, members, entry)
        assert dispatch(datetime.now(UTC)).delivered == 2
        got = {name: [json.loads(body) for _, body in r.received] for name, r in receivers.items()}
        assert [(c["type"], c["data"].get("dispute")) for c in got["shop-a"]] == [("dispute_opened", opened["ref"])]
        assert [c["type"] for c in got["risk-c"]] == ["listed"]
    finally:
        for receiver in receivers.values():
            receiver.server.shutdown()
            receiver.server.server_close()


def test_webhook_urls_are_checked_and_belong_to_their_member(client, members):
    bad = client.post("/v1/members/risk-c/webhooks", json={"url": "ftp://x.example/hook"}, headers=members["risk-c"])
    assert problem(bad, 422)["errors"][0]["pointer"] == "/url"
    other = client.post("/v1/members/shop-a/webhooks", json={"url": "https://x.example/h"}, headers=members["risk-c"])
    assert problem(other, 403)["code"] == "not_your_resource"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "https://localhost/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.8/hook",
        "https://100.64.1.1/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fd00:ec2::254]/hook",
        "https://nowhere.invalid/hook",
    ],
)
def test_webhook_urls_must_resolve_to_public_addresses_by_default(client, app, members, monkeypatch, url):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", False)  # the production default
    refused = client.post("/v1/members/risk-c/webhooks", json={"url": url}, headers=members["risk-c"])
    [error] = problem(refused, 422)["errors"]
    assert error["pointer"] == "/url" and error["code"] in ("url.unsafe_address", "url.dns_error")
    assert client.get("/v1/members/risk-c/webhooks", headers=members["risk-c"]).get_json() == []
