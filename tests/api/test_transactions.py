"""One transaction per request: a request that fails writes nothing, one that committed is not a 5xx."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from federation.entries import service as entries_service
from federation.entries.models import Entry
from federation.events.feed import Change
from federation.events.models import Event
from tests.entries.factories import entry_payload


@pytest.fixture
def submitter(make_member, auth):
    return auth.headers(make_member("shop-a", roles=["submit", "query"]))


def written(db) -> dict[str, int]:
    db.session.rollback()
    return {
        "entries": db.session.scalar(select(func.count()).select_from(Entry)),
        "entry events": db.session.scalar(select(func.count()).where(Event.tag.like("entry:%"))),
        "changes": db.session.scalar(select(func.count()).select_from(Change)),
    }


def test_a_batch_failing_half_way_writes_nothing(client, app, db, submitter, monkeypatch):
    real, calls = entries_service.record_listed, []

    def fail_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("injected failure")
        return real(*args, **kwargs)

    monkeypatch.setattr(entries_service, "record_listed", fail_on_second)
    items = [entry_payload(app, f"b{n}", phone=f"1390013900{n}") for n in range(3)]
    response = client.post("/v1/entries:batch", json={"entries": items}, headers=submitter)
    assert response.status_code == 500
    assert len(calls) == 2
    assert written(db) == {"entries": 0, "entry events": 0, "changes": 0}
