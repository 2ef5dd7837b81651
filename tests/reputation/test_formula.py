"""The reputation formula of docs/scoring.md, with explicit numbers and an explicit clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from federation.reputation.formula import Record, ReputationModel, compute, effective, graduates, on_probation

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
MODEL = ReputationModel()  # k = 10, a = 2, b = 0.5, age floor 0.8 over 365 days
YEAR_AGO = NOW - timedelta(days=365)


@pytest.mark.parametrize(
    ("record", "since", "expected"),
    [
        # a new member with no record: the age floor alone
        (Record(), NOW, 0.8),
        # a year in, no record: full base
        (Record(), YEAR_AGO, 1.0),
        # half a year in: 0.8 + 0.2 * 182.5/365
        (Record(), NOW - timedelta(days=182.5), 0.9),
        # 2 entries, 1 overturned: 1/12 is not "50 % bad": 1 - 2/12
        (Record(entries=2, overturned=1), YEAR_AGO, 0.833333),
        # 100 entries, 30 overturned: 1 - 2 * 30/110
        (Record(entries=100, overturned=30), YEAR_AGO, 0.454545),
        # half overturned at a large sample: weight gone (clamped at 0)
        (Record(entries=1000, overturned=600), YEAR_AGO, 0.0),
        # retracted weighs a quarter as much: 1 - 0.5 * 20/110
        (Record(entries=100, retracted=20), YEAR_AGO, 0.909091),
        # all together, new member: 0.8 * (1 - 2 * 5/60) * (1 - 0.5 * 10/60)
        (Record(entries=50, overturned=5, retracted=10), NOW, 0.611111),
    ],
)
def test_worked_examples(record, since, expected):
    assert compute(MODEL, 1.0, record, since, NOW).computed == pytest.approx(expected, abs=1e-6)


def test_the_base_scales_the_whole_formula():
    reputation = compute(MODEL, 0.5, Record(entries=2, overturned=1), YEAR_AGO, NOW)
    assert reputation.computed == pytest.approx(0.416667, abs=1e-6)
    assert reputation.as_inputs() == {
        "base": 0.5,
        "entries": 2,
        "overturned": 1,
        "retracted": 0,
        "age_days": 365.0,
        "overturned_share": pytest.approx(0.083333, abs=1e-6),
        "retracted_share": 0.0,
        "age_factor": 1.0,
        "computed": pytest.approx(0.416667, abs=1e-6),
    }


def test_smoothing_has_no_cliff_each_overturn_costs_a_little_more():
    values = [compute(MODEL, 1.0, Record(entries=20, overturned=o), YEAR_AGO, NOW).computed for o in range(11)]
    steps = [a - b for a, b in zip(values, values[1:], strict=False)]
    assert all(step == pytest.approx(2 / 30, abs=1e-5) for step in steps)  # each overturn: 2/(n+k)
    assert values[-1] == pytest.approx(1 / 3, abs=1e-6)


def test_an_override_wins_over_the_formula_until_removed():
    assert effective(0.7, 0.2) == 0.2 and effective(0.7, None) == 0.7 and effective(0.7, 0.0) == 0.0


def test_probation_ends_at_its_instant():
    until = NOW + timedelta(days=90)
    assert on_probation(until, NOW) and on_probation(until, until - timedelta(microseconds=1))
    assert not on_probation(until, until) and not on_probation(None, NOW)


def test_enough_confirmed_listings_graduate_a_member():
    assert not graduates(MODEL, Record(entries=9, confirmed=4)) and graduates(MODEL, Record(entries=9, confirmed=5))
    assert not graduates(ReputationModel(probation_confirmed_entries=0), Record(confirmed=100))


def test_model_reads_configuration():
    model = ReputationModel.from_config(
        {
            "REPUTATION_PRIOR_ENTRIES": 4,
            "REPUTATION_OVERTURNED_PENALTY": 1,
            "REPUTATION_AGE_FLOOR": 1.0,
            "PROBATION_DAYS": 30,
        }
    )
    assert (model.prior_entries, model.overturned_penalty, model.age_floor, model.probation_days) == (4, 1, 1.0, 30)
    assert compute(model, 1.0, Record(entries=4, overturned=2), NOW, NOW).computed == pytest.approx(0.75)
