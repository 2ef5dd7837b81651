"""Entry services with an explicit clock and real concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from federation.api.schemas.entries import load_submission
from federation.entries import expiry, service
from federation.entries.models import Entry, EntryIdentifier
from federation.entries.rules import Policy
from federation.events.service import history
from tests.entries.factories import entry_payload


def context(app) -> dict:
    secrets = app.extensions["federation.identifiers"]
    return {"policy": Policy.from_config(app.config, frozenset(secrets.salts)), "identifier_secrets": secrets}


def submit(app, db, member_id: str, case_ref: str, now: datetime, **overrides) -> Entry:
    submission = load_submission(entry_payload(app, case_ref, **overrides))
    outcome = service.submit(db.session, member_id, submission, now=now, **context(app))
    db.session.commit()
    return outcome.entry


def test_purge_expires_by_term_and_deletes_identifier_hashes(app, db, make_member):
    make_member("shop-a", roles=["submit"])
    now = datetime.now(UTC)
    lasting = submit(app, db, "shop-a", "lasting", now, tier=2)
    ending = submit(app, db, "shop-a", "ending", now, phone="13900139000")
    withdrawn = submit(app, db, "shop-a", "withdrawn", now, phone="13700137000")
    service.retract(db.session, "shop-a", withdrawn.ref, reason="mistake", now=now)
    db.session.commit()

    later = ending.expires_at + timedelta(seconds=1)  # past tier 1's 180 days, within tier 2's 365
    report = expiry.purge(db.session, now=later)
    db.session.commit()
    assert (report.expired, report.purged) == (1, 2)
    states = {e.case_ref: (e.state, e.purged_at is not None) for e in db.session.scalars(select(Entry))}
    assert states == {"lasting": ("active", False), "ending": ("expired", True), "withdrawn": ("retracted", True)}
    remaining = db.session.scalars(select(EntryIdentifier.entry_id).distinct()).all()
    assert remaining == [lasting.id]
    assert [e.tag for e in history(db.session, f"entry:{ending.ref}")] == [
        "entry:listed",
        "entry:expired",
        "entry:purged",
    ]
    assert expiry.purge(db.session, now=later) == expiry.PurgeReport(expired=0, purged=0)


def test_concurrent_identical_submissions_create_one_entry(app, db, make_member):
    make_member("shop-a", roles=["submit"])
    submission = load_submission(entry_payload(app, "race"))
    barrier, outcomes, failures = threading.Barrier(4), [], []

    def worker() -> None:
        with app.app_context():
            barrier.wait()
            try:
                outcome = service.submit(db.session, "shop-a", submission, now=datetime.now(UTC), **context(app))
                db.session.commit()
                outcomes.append(outcome.created)
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                failures.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 1
    assert failures == []
    assert sorted(outcomes) == [False, False, False, True]
