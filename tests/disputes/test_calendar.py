"""The working-day calendar behind appeal decision deadlines, with an explicit clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from federation.disputes.calendar import WorkingCalendar
from federation.disputes.service import Deadlines

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: National Day 2026 (Thu 1 to Wed 7 October) with its make-up Saturday, and New Year's Day 2027.
CHINA = WorkingCalendar.from_settings(
    "Asia/Shanghai",
    ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07", "2027-01-01"],
    ["2026-10-10"],
)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        ("2026-11-30T10:00", 1, "2026-12-01"),  # Monday: the day of receipt is not counted
        ("2026-11-30T10:00", 5, "2026-12-07"),  # over a weekend
        ("2026-11-30T10:00", 15, "2026-12-21"),  # the default: three weeks without holidays
        ("2026-12-04T10:00", 1, "2026-12-07"),  # Friday: next is Monday
        ("2026-12-05T10:00", 1, "2026-12-07"),  # filed on a Saturday
        ("2026-12-06T10:00", 1, "2026-12-07"),  # filed on a Sunday
        ("2026-09-30T10:00", 1, "2026-10-08"),  # the National Day holidays are skipped
        ("2026-10-09T10:00", 1, "2026-10-10"),  # a make-up Saturday is a working day
        ("2026-10-04T10:00", 2, "2026-10-09"),  # filed in the holidays: Thu 8, Fri 9
        ("2026-12-30T10:00", 3, "2027-01-05"),  # year boundary: Thu 31, (Fri 1 off), Mon 4, Tue 5
        ("2026-12-03T23:59", 1, "2026-12-04"),  # 23:59 Thursday in Shanghai is Thursday ...
        ("2026-12-04T00:01", 1, "2026-12-07"),  # ... 00:01 Friday is Friday, though both are Thursday in UTC
    ],
)
def test_a_deadline_is_the_end_of_the_nth_working_day_after_receipt(received, days, due):
    deadline = CHINA.add_working_days(local(received).astimezone(UTC), days)
    assert deadline.tzinfo == UTC
    assert deadline.astimezone(SHANGHAI) == local(f"{due}T23:59:59")
    assert CHINA.local_date(deadline) == date.fromisoformat(due)


def test_the_day_of_receipt_is_the_local_one():
    before, after = local("2026-12-03T23:59").astimezone(UTC), local("2026-12-04T00:01").astimezone(UTC)
    assert before.date() == after.date() == date(2026, 12, 3)  # the same UTC day ...
    assert CHINA.local_date(before) != CHINA.local_date(after)  # ... but not the same day in Shanghai


def test_the_end_of_a_day_is_a_second_before_local_midnight():
    assert CHINA.end_of(date(2026, 12, 21)) == datetime(2026, 12, 21, 15, 59, 59, tzinfo=UTC)
    plain = WorkingCalendar("UTC")
    assert plain.add_working_days(datetime(2026, 12, 4, 23, 0, tzinfo=UTC), 1) == datetime(
        2026, 12, 7, 23, 59, 59, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 12, 5), False),  # Saturday
        (date(2026, 12, 7), True),  # Monday
        (date(2026, 10, 1), False),  # a holiday on a Thursday
        (date(2026, 10, 10), True),  # a make-up Saturday
        (date(2026, 10, 3), False),  # a weekend inside the holidays, not listed, still off
    ],
)
def test_working_days(day, working):
    assert CHINA.is_working_day(day) is working


def test_every_deadline_is_at_least_as_many_calendar_days_away():
    received = local("2026-09-25T12:00").astimezone(UTC)
    for days in range(1, 40):
        due = CHINA.add_working_days(received, days)
        assert due - received >= timedelta(days=days - 1)
        assert CHINA.is_working_day(CHINA.local_date(due))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (("Mars/Olympus", [], []), "Mars/Olympus"),
        (("Asia/Shanghai", ["2026-10-10"], ["2026-10-10"]), "both holiday and working day"),
        (("Asia/Shanghai", ["10/01/2026"], []), "Invalid isoformat"),
    ],
)
def test_bad_settings_fail_at_start_up(settings, message):
    with pytest.raises(Exception, match=message):
        WorkingCalendar.from_settings(*settings)


def test_a_deadline_is_at_least_one_working_day():
    with pytest.raises(ValueError, match="at least one"):
        CHINA.add_working_days(datetime(2026, 12, 1, tzinfo=UTC), 0)


def test_a_deadline_setting_below_one_day_is_refused_at_start_up():
    with pytest.raises(ValueError, match="at least one day"):
        Deadlines(appeal_working_days=0)
