"""Decided appeals forget what the person told us after the retention period; the decision stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from federation.disputes import retention
from federation.disputes.models import Appeal, AppealIdentifier, Dispute
from federation.disputes.settings import DueProcess
from federation.events.service import history
from tests.api.test_appeals import appeal_body, file, status
from tests.api.test_disputes import tick
from tests.api.test_lookups import list_entry

PHONE = "13800138000"


@pytest.fixture
def decided(client, app, auth, make_member) -> dict:
    submitter = auth.headers(make_member("shop-a", roles=["submit"]))
    reviewer = auth.headers(make_member("fed-review", roles=["review"]))
    list_entry(client, app, submitter, "a1", phone=PHONE)
    receipt = file(client, appeal_body(PHONE)).get_json()
    tick(datetime.now(UTC))
    decision = {
        "decision": "upheld",
        "reason": "The account was stolen.",
        "expedite_reason": "The handheld-ID video settles it beyond any answer.",
    }
    response = client.post(f"/v1/appeals/{receipt['appeal']}/decision", json=decision, headers=reviewer)
    assert response.status_code == 200, response.get_json()
    return receipt


def test_a_decided_appeal_is_erased_after_the_retention_period_and_its_decision_stays(client, db, decided):
    now = datetime.now(UTC)
    assert retention.erase_decided_appeals(db.session, days=365, now=now + timedelta(days=364)) == 0
    assert retention.erase_decided_appeals(db.session, days=365, now=now + timedelta(days=366)) == 1
    db.session.commit()
    appeal = db.session.scalar(select(Appeal).where(Appeal.ref == decided["appeal"]))
    assert appeal.statement == "" and appeal.client_tag == "" and appeal.erased_at is not None
    assert db.session.scalar(select(func.count()).select_from(AppealIdentifier)) == 0
    assert {d.reason for d in db.session.scalars(select(Dispute))} == {""}
    shown = status(client, decided).get_json()  # the person still reads the decision
    assert shown["state"] == "upheld" and shown["decision_reason"] == "The account was stolen."
    assert [e.tag for e in history(db.session, f"appeal:{decided['appeal']}")][-1] == "appeal:erased"
    assert retention.erase_decided_appeals(db.session, days=365, now=now + timedelta(days=800)) == 0


def test_retention_shorter_than_the_repeat_window_is_refused(app):
    with pytest.raises(ValueError, match="RETENTION"):
        DueProcess.from_config({**app.config, "APPEAL_RETENTION_DAYS": 30}, app.instance_path)
