"""The protective cap as a plain rule: never more than review on a protected identifier alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from federation.lookups.actions import Ladder, Recommendation, Strike, recommend
from federation.protective.ladder import RULE, for_subject, protect

NOW = datetime(2026, 11, 30, tzinfo=UTC)
LADDER = Ladder()


def made(action: str, rule: str = "some_rule") -> Recommendation:
    return Recommendation(action=action, rule=rule, strikes=1, total_amount={}, freeze_until=None)


@pytest.mark.parametrize(
    ("strikes", "given"),
    [
        ([Strike(1, 3, None, None, NOW)], "refer_to_police"),
        ([Strike(1, 1, None, None, NOW), Strike(2, 1, None, None, NOW)], "ban"),
        ([Strike(1, 2, None, None, NOW)], "ban"),
        ([Strike(1, 1, None, None, NOW)], "warn_and_freeze"),
    ],
)
def test_every_action_above_review_is_capped_at_review(strikes, given):
    full = recommend(LADDER, strikes, 0.9, NOW)
    assert full.action == given
    capped = protect(full)
    assert (capped.action, capped.rule, capped.freeze_until) == ("review", RULE, None)
    assert capped.strikes == full.strikes  # the explanation keeps its counts


@pytest.mark.parametrize(
    "full",
    [
        recommend(LADDER, [Strike(1, 1, None, None, NOW - timedelta(days=20))], 0.9, NOW),
        recommend(LADDER, [], 0.3, NOW),
        recommend(LADDER, [], 0.0, NOW),
    ],
)
def test_review_and_accept_are_left_as_they_are(full):
    assert protect(full) == full


def test_a_subject_keeps_what_its_unprotected_identifiers_justify_alone():
    assert for_subject(made("refer_to_police"), made("ban", "tier_2_listing")) == made("ban", "tier_2_listing")


@pytest.mark.parametrize("independent", [None, made("review"), made("accept", "no_match")])
def test_a_subject_without_independent_grounds_is_capped(independent):
    capped = for_subject(made("ban"), independent)
    assert (capped.action, capped.rule) == ("review", RULE)
