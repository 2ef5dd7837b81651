"""Which matched entries are provisional: a probation member's, not corroborated in the same lookup."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from federation.lookups.actions import Ladder, Strike, recommend
from federation.lookups.probation import uncorroborated

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def row(entry_id: int, member: str, provisional: bool = False, state: str = "active"):
    return SimpleNamespace(id=entry_id, member_id=member, provisional=provisional, state=state)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([row(1, "new", True)], {1}),
        ([row(1, "old")], set()),
        ([row(1, "new", True), row(2, "old")], set()),  # corroborated by an established member
        ([row(1, "new", True), row(2, "new")], {1}),  # its own other listing corroborates nothing
        ([row(1, "new", True), row(2, "newer", True)], {1, 2}),  # two probation members lift nothing
        ([row(1, "new", True), row(2, "old", state="suspended")], {1}),  # a suspended entry does not count
    ],
    ids=["alone", "not-on-probation", "corroborated", "own-entry", "two-newcomers", "suspended-corroborator"],
)
def test_uncorroborated(rows, expected):
    assert uncorroborated(rows) == expected


def test_held_back_strikes_recommend_review_at_most():
    ladder = Ladder()
    rec = recommend(ladder, [], 0.85, NOW, provisional_strikes=1)
    assert (rec.action, rec.rule, rec.strikes) == ("review", "probation_uncorroborated", 0)
    counted = recommend(ladder, [Strike(2, 1, None, None, NOW)], 0.95, NOW, provisional_strikes=1)
    assert (counted.action, counted.rule) == ("warn_and_freeze", "first_strike")  # a real strike still counts
