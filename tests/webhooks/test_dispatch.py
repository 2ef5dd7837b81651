"""Sending deliveries: endpoints share a tick fairly, suspended members get nothing, the log is terse."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app

from federation.events.service import record
from federation.extensions import db as _db
from federation.webhooks.destinations import Transport
from federation.webhooks.dispatch import deliver_due, due_deliveries
from federation.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.conftest import Receiver

ALLOWED = Transport(allow_private=True, timeout=2)


def publish(count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        record(_db.session, "entry:listed", f"entry:E{n}", actor="t", now=datetime.now(UTC), payload={"ref": f"E{n}"})
    _db.session.commit()


def add_hook(client, headers, member_id: str, url: str) -> int:
    added = client.post(f"/v1/members/{member_id}/webhooks", json={"url": url}, headers=headers)
    assert added.status_code == 201, added.get_json()
    return added.get_json()["id"]


def dispatch(transport: Transport = ALLOWED, **limits):
    report = deliver_due(
        _db.session,
        current_app.extensions["federation.auth"].key_set,
        now=datetime.now(UTC),
        transport=transport,
        **limits,
    )
    _db.session.commit()
    return report


def test_one_failing_endpoint_with_a_backlog_cannot_starve_the_others(client, app, auth, make_member):
    failing, healthy = Receiver(), Receiver()
    failing.status = 500
    try:
        add_hook(client, auth.headers(make_member("risk-a")), "risk-a", failing.url)
        publish(30)  # risk-a's backlog, older than anything risk-b will get
        add_hook(client, auth.headers(make_member("risk-b")), "risk-b", healthy.url)
        publish(5, start=30)
        due = due_deliveries(_db.session, now=datetime.now(UTC), limit=10, per_webhook=5)
        hooks = [_db.session.get(WebhookDelivery, d).webhook_id for d in due]
        assert len(due) == 10 and hooks[0] != hooks[1] and len(set(hooks[:2])) == 2  # taken in turn
        report = dispatch(limit=10, per_webhook=5)
        assert report.delivered == 5 and len(healthy.received) == 5
        assert len(failing.received) == 1 and report.retrying == 1  # one failure: no more tries this tick
    finally:
        for receiver in (failing, healthy):
            receiver.server.shutdown()
            receiver.server.server_close()


def test_a_suspended_member_receives_nothing_queued_or_sent(client, app, auth, make_member, receiver):
    admin = auth.headers(make_member("root", roles=["admin"]))
    add_hook(client, auth.headers(make_member("risk-c")), "risk-c", receiver.url)
    publish(1)  # queued while active ...
    assert client.post("/v1/members/risk-c/suspend", json={"reason": "abuse"}, headers=admin).status_code == 200
    publish(1, start=1)  # ... and one published while suspended
    assert _db.session.query(WebhookDelivery).count() == 1  # nothing queued for a suspended member
    assert dispatch().delivered == 0 and receiver.received == []  # nor sent
    assert (
        client.post("/v1/members/risk-c/activate", json={"reason": "appeal granted"}, headers=admin).status_code == 200
    )
    assert dispatch().delivered == 1 and len(receiver.received) == 1


def test_an_endpoint_that_now_resolves_privately_is_refused_at_delivery(client, app, auth, make_member, receiver):
    headers = auth.headers(make_member("risk-c"))
    hook = add_hook(client, headers, "risk-c", receiver.url)  # registered while private addresses were allowed
    publish(1)
    assert dispatch(Transport()).retrying == 1 and receiver.received == []
    [delivery] = client.get(f"/v1/members/risk-c/webhooks/{hook}/deliveries", headers=headers).get_json()
    assert [a["error"] for a in delivery["log"]] == ["unsafe_address"]


def test_the_delivery_log_holds_categories_never_exception_text(client, app, auth, make_member, receiver):
    headers = auth.headers(make_member("risk-c"))
    hook = add_hook(client, headers, "risk-c", receiver.url)
    publish(1)
    receiver.status = 500
    dispatch()
    receiver.server.shutdown()
    receiver.server.server_close()
    _db.session.query(WebhookDelivery).update({"next_attempt_at": datetime.now(UTC)})
    _db.session.commit()
    dispatch()
    [delivery] = client.get(f"/v1/members/risk-c/webhooks/{hook}/deliveries", headers=headers).get_json()
    assert [(a["status_code"], a["error"]) for a in delivery["log"]] == [
        (500, "http_500"),
        (None, "connection_refused"),
    ]
    stored = {attempt.error for attempt in _db.session.query(WebhookAttempt)}
    assert stored == {"http_500", "connection_refused"}
