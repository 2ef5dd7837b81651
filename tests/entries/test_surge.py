"""The listing cap's arithmetic (``entries.surge.cap``), without Flask or a database."""

from __future__ import annotations

import pytest

from federation.entries.rules import SurgeRules
from federation.entries.surge import cap


@pytest.mark.parametrize(
    ("daily", "expected"),
    [
        ([], 200),  # a new member: the floor
        ([0] * 30, 200),
        ([10] * 30, 200),  # 5 x 10 is below the floor
        ([100] * 30, 500),
        ([0] * 14 + [100] * 16, 500),  # the median, not the mean
        ([0] * 16 + [1000] * 14, 200),  # a few busy days do not raise it
        ([41] * 30, 205),  # rounded up
    ],
)
def test_the_cap_is_the_floor_or_a_multiple_of_the_median_day(daily, expected):
    assert cap(SurgeRules(), daily) == expected


def test_the_cap_is_configurable():
    assert cap(SurgeRules(floor=10, factor=2.0), [30] * 30) == 60
