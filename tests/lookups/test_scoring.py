"""The worked examples of docs/scoring.md, computed by hand, checked to 6 decimals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from federation.lookups.actions import RULES, Ladder, Strike, recommend
from federation.lookups.scoring import Candidate, ScoringModel, identity, score
from federation.protective.ladder import protect

NOW = datetime(2026, 11, 24, tzinfo=UTC)
MODEL = ScoringModel()
LADDER = Ladder(police_thresholds={"CNY": Decimal("5000")})


def entry(
    entry_id: int,
    member: str = "m1",
    *types: str,
    age_days: float = 0,
    trust: float = 1.0,
    counts: bool = True,
    disputed: bool = False,
) -> Candidate:
    return Candidate(
        entry_id=entry_id,
        member_id=member,
        trust=trust,
        occurred_at=NOW - timedelta(days=age_days),
        counts=counts,
        disputed=disputed,
        matched_types=types or ("phone",),
    )


def strikes_of(candidates, scored, tiers=None, amounts=None, listed_at=NOW):
    return [
        Strike(c.entry_id, (tiers or {}).get(c.entry_id, 1), *(amounts or {}).get(c.entry_id, (None, None)), listed_at)
        for c in candidates
        if c.counts and not c.disputed and scored.strengths[c.entry_id] >= LADDER.strike_threshold
    ]


def outcome(candidates, **kwargs):
    scored = score(MODEL, candidates, NOW)
    rec = recommend(LADDER, strikes_of(candidates, scored, **kwargs), scored.confidence, NOW)
    return scored.confidence, rec


@pytest.mark.parametrize(
    ("name", "candidates", "confidence", "action", "rule"),
    [
        ("A", [entry(1)], 0.85, "warn_and_freeze", "first_strike"),
        ("B", [entry(1, age_days=365)], 0.425, "review", "weak_or_contested_match"),
        ("C", [entry(1, "m1"), entry(2, "m2"), entry(3, "m3")], 0.996625, "ban", "second_strike"),
        ("D", [entry(1), entry(2), entry(3)], 0.896799, "ban", "second_strike"),
        ("E", [entry(1, "m1", "phone", "device")], 0.955, "warn_and_freeze", "first_strike"),
        ("F", [entry(1, "m1", "ip_net")], 0.15, "accept", "below_review_threshold"),
        ("G", [entry(1, disputed=True)], 0.425, "review", "weak_or_contested_match"),
        ("H", [entry(1, trust=0.5)], 0.425, "review", "weak_or_contested_match"),
        ("J", [entry(1, "m1", "device", "ip", age_days=180)], 0.353047, "review", "weak_or_contested_match"),
    ],
)
def test_worked_examples(name, candidates, confidence, action, rule):
    got, rec = outcome(candidates)
    assert got == pytest.approx(confidence, abs=1e-6), name
    assert (rec.action, rec.rule) == (action, rule), name


def test_example_k_a_served_freeze_is_not_renewed():
    candidates = [entry(1, age_days=16)]
    scored = score(MODEL, candidates, NOW)
    rec = recommend(LADDER, strikes_of(candidates, scored, listed_at=NOW - timedelta(days=16)), scored.confidence, NOW)
    assert scored.confidence == pytest.approx(0.824562, abs=1e-6)
    assert (rec.action, rec.rule, rec.freeze_until) == ("review", "first_strike_freeze_served", None)


def test_example_i_amounts_add_up_to_a_police_referral():
    candidates = [entry(1, "m1"), entry(2, "m2")]
    confidence, rec = outcome(candidates, amounts={1: (Decimal("3000"), "CNY"), 2: (Decimal("2500"), "CNY")})
    assert confidence == pytest.approx(0.9775)
    assert (rec.action, rec.rule, rec.total_amount) == (
        "refer_to_police",
        "amount_over_police_threshold",
        {"CNY": Decimal("5500")},
    )


def test_first_strike_freezes_for_fifteen_days_from_its_listing():
    _, rec = outcome([entry(1)])
    assert rec.freeze_until == NOW + timedelta(days=15) and rec.strikes == 1


LISTED = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
FREEZE_ENDS = LISTED + timedelta(days=15)


@pytest.mark.parametrize(
    ("now", "action", "rule", "freeze_until"),
    [
        (LISTED, "warn_and_freeze", "first_strike", FREEZE_ENDS),
        (FREEZE_ENDS - timedelta(microseconds=1), "warn_and_freeze", "first_strike", FREEZE_ENDS),
        (FREEZE_ENDS, "review", "first_strike_freeze_served", None),
        (FREEZE_ENDS + timedelta(seconds=1), "review", "first_strike_freeze_served", None),
        (LISTED + timedelta(days=100), "review", "first_strike_freeze_served", None),
    ],
    ids=["at-listing", "just-before-end", "at-end", "just-after-end", "100-days-later"],
)
def test_the_freeze_counts_from_the_listing_and_ends(now, action, rule, freeze_until):
    """The same strike seen by lookups at different times: one freeze, never a fresh one."""
    rec = recommend(LADDER, [Strike(1, 1, None, None, LISTED)], 0.85, now)
    assert (rec.action, rec.rule, rec.freeze_until, rec.strikes) == (action, rule, freeze_until, 1)


def test_an_old_offence_listed_today_still_freezes():
    """Confirmation starts the sanction: an offence found out 40 days later is frozen from its listing."""
    rec = recommend(LADDER, [Strike(1, 1, None, None, NOW)], 0.85, NOW)
    assert rec.action == "warn_and_freeze" and rec.freeze_until == NOW + timedelta(days=15)


def test_a_second_strike_bans_whatever_the_first_ones_freeze():
    old = Strike(1, 1, None, None, NOW - timedelta(days=90))
    new = Strike(2, 1, None, None, NOW - timedelta(days=1))
    rec = recommend(LADDER, [old, new], 0.97, NOW)
    assert (rec.action, rec.rule, rec.freeze_until) == ("ban", "second_strike", None)


def test_the_published_ladder_names_every_rule_recommend_can_give():
    published = [(action, rule) for action, rule, *_ in RULES]
    capped = protect(recommend(LADDER, [Strike(1, 2, None, None, NOW)], 0.9, NOW))
    given = {(capped.action, capped.rule)} | {
        (r.action, r.rule)
        for r in [
            recommend(LADDER, [Strike(1, 3, None, None, NOW)], 0.9, NOW),
            recommend(LADDER, [Strike(1, 1, Decimal("9000"), "CNY", NOW)], 0.9, NOW),
            recommend(LADDER, [Strike(1, 1, None, None, NOW), Strike(2, 1, None, None, NOW)], 0.9, NOW),
            recommend(LADDER, [Strike(1, 2, None, None, NOW)], 0.9, NOW),
            recommend(LADDER, [Strike(1, 1, None, None, NOW)], 0.9, NOW),
            recommend(LADDER, [Strike(1, 1, None, None, NOW - timedelta(days=16))], 0.9, NOW),
            recommend(LADDER, [], 0.9, NOW, provisional_strikes=1),
            recommend(LADDER, [], 0.3, NOW),
            recommend(LADDER, [], 0.1, NOW),
            recommend(LADDER, [], 0.0, NOW),
        ]
    }
    assert given == set(published) and len(published) == len(set(published))


def test_tier_escalation_without_a_second_strike():
    _, tier_two = outcome([entry(1)], tiers={1: 2})
    _, tier_three = outcome([entry(1)], tiers={1: 3})
    assert (tier_two.action, tier_two.rule) == ("ban", "tier_2_listing")
    assert (tier_three.action, tier_three.rule) == ("refer_to_police", "tier_3_listing")


def test_ten_reports_from_one_member_count_less_than_three_members():
    one_member = score(MODEL, [entry(i, "m1", "email") for i in range(10)], NOW).confidence
    three_members = score(MODEL, [entry(i, f"m{i}", "email") for i in range(3)], NOW).confidence
    assert one_member < three_members


def test_suspended_entries_are_shown_but_never_counted():
    scored = score(MODEL, [entry(1, counts=False)], NOW)
    assert scored.confidence == 0.0 and scored.strengths == {1: 0.0} and scored.identities[1] == 0.85
    assert recommend(LADDER, [], scored.confidence, NOW).action == "accept"


def test_half_life_decay_by_type():
    ip_old = identity(MODEL, entry(1, "m1", "ip", age_days=30), NOW)
    id_old = identity(MODEL, entry(1, "m1", "national_id", age_days=30), NOW)
    assert ip_old == pytest.approx(0.15)
    assert id_old == pytest.approx(0.95 * 0.5 ** (30 / 1825))


def test_model_reads_configuration():
    model = ScoringModel.from_config({"SCORING_TYPE_WEIGHTS": {"phone": 0.5}, "SCORING_REPEAT_FACTOR": 0})
    assert model.type_weights["phone"] == 0.5 and model.type_weights["national_id"] == 0.95
    assert score(model, [entry(1), entry(2)], NOW).confidence == pytest.approx(0.5)
