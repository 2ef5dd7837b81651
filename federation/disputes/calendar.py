"""Working days, for deadlines a regulator would accept.

China's 2019 rules for apps cap complaint handling at 15 working days, so an
appeal's decision deadline is counted in working days, not calendar days:
Monday to Friday, minus public holidays (``FEDERATION_HOLIDAYS``), plus the
weekend days the State Council declares make-up working days
(``FEDERATION_EXTRA_WORKING_DAYS``). Both lists change every year with the
State Council's notice, so they are configuration, not code.

Which day a filing falls on depends on where it is counted: 23:30 UTC on a
Sunday is already Monday in Shanghai. The calendar therefore lives in one time
zone (``FEDERATION_CALENDAR_TZ``, ``Asia/Shanghai``: the appellants' and the
regulator's), and every step happens there:

* the day of receipt is not counted (as in the Civil Procedure Law, art. 85:
  a period starts the day after the day it is triggered), whatever the hour;
* day 1 is the first working day after it; a deadline of *n* working days is
  the **end** of the *n*-th, 23:59:59 local time, stored as the UTC instant.

Pure: no Flask, no database; the clock is an argument.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = "Asia/Shanghai"
END_OF_DAY = time(23, 59, 59)


def _dates(values: Iterable[str | date]) -> frozenset[date]:
    return frozenset(value if isinstance(value, date) else date.fromisoformat(value) for value in values)


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Monday to Friday, minus ``holidays``, plus ``extra_working_days``, in ``time_zone``."""

    time_zone: str = DEFAULT_TIME_ZONE
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        ZoneInfo(self.time_zone)  # an unknown zone fails at start-up, not at the first appeal
        both = self.holidays & self.extra_working_days
        if both:
            raise ValueError(f"days both holiday and working day: {', '.join(map(str, sorted(both)))}")

    @classmethod
    def from_settings(
        cls, time_zone: str, holidays: Iterable[str | date], extra_working_days: Iterable[str | date]
    ) -> WorkingCalendar:
        """From configuration: ISO dates (``"2026-10-01"``)."""
        return cls(time_zone, _dates(holidays), _dates(extra_working_days))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def local_date(self, instant: datetime) -> date:
        """The calendar day ``instant`` falls on in the calendar's zone."""
        return instant.astimezone(self.zone).date()

    def end_of(self, day: date) -> datetime:
        """The last second of ``day`` in the calendar's zone, as a UTC instant."""
        return datetime.combine(day, END_OF_DAY, tzinfo=self.zone).astimezone(UTC)

    def add_working_days(self, received: datetime, days: int) -> datetime:
        """The end of the ``days``-th working day after the local day of ``received``."""
        if days < 1:
            raise ValueError("a deadline is at least one working day")
        day, counted = self.local_date(received), 0
        while counted < days:
            day += timedelta(days=1)
            counted += self.is_working_day(day)
        return self.end_of(day)
