"""Recomputing standing at the tick, with an explicit clock: what moves, and what is recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from federation.events.service import history
from federation.members.models import Member
from federation.reputation import standing
from federation.reputation.formula import ReputationModel

MODEL = ReputationModel()  # the production defaults: age floor 0.8, 90 days of probation
ADMITTED = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def newcomer(db):
    member = standing.admit_member(
        db.session, MODEL, member_id="newbie", display_name="Newbie", roles=["submit"], actor="root", now=ADMITTED
    )
    db.session.commit()
    return member


def test_admission_starts_probation_and_the_age_floor(db, newcomer):
    assert newcomer.probation_until == ADMITTED + timedelta(days=90)
    assert newcomer.effective_trust == pytest.approx(0.8)
    assert standing.standing(newcomer, ADMITTED)["probation"]["on_probation"] is True
    assert standing.standing(newcomer, ADMITTED + timedelta(days=90))["probation"]["on_probation"] is False


def test_the_daily_creep_of_the_age_factor_is_stored_but_not_an_event_each_tick(db, newcomer):
    for minutes in range(0, 10):
        standing.recompute(db.session, MODEL, now=ADMITTED + timedelta(days=1, minutes=minutes))
    member = db.session.get(Member, "newbie")
    assert member.effective_trust == pytest.approx(0.8 + 0.2 / 365, abs=1e-5)
    assert [e.tag for e in history(db.session, "member:newbie")] == ["member:added"]
    moved = standing.recompute(db.session, MODEL, now=ADMITTED + timedelta(days=365))
    assert moved == 1 and member.effective_trust == 1.0  # a material move is recorded
    assert [e.tag for e in history(db.session, "member:newbie")][-1] == "member:trust_recomputed"
