"""Working days of Indonesia's calendar, in the district's time zone (WIB by default): the
protection desk's time limits, and the reporting service's working hours to a case's first action.

A working day is Monday to Friday and not a national public holiday, as the ``holidays`` library
keeps them (its Islamic and lunar dates are the government's, estimated for years not yet
decreed). Joint leave days (*cuti bersama*) are not counted as holidays: the desks stay open.

A limit of ``n`` working days ends with the ``n``-th working day after the day something
happened: a case received on Friday with a limit of 1 working day is due by the end of Monday.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

COUNTRY = "ID"
DISTRICT_TIMEZONE = "Asia/Jakarta"  # WIB


@lru_cache(maxsize=32)
def _holidays_of(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays(COUNTRY, years=year))


def is_holiday(day: dt.date) -> bool:
    return day in _holidays_of(day.year)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and not is_holiday(day)


def working_days_after(day: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``day`` (``day`` itself never counts)."""
    if n < 1:
        raise ValueError("count at least one working day")
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def end_of_working_days(at: dt.datetime, n: int, zone: str = DISTRICT_TIMEZONE) -> dt.datetime:
    """When a limit of ``n`` working days from the instant ``at`` ends: midnight in the district
    after the ``n``-th working day following ``at``'s own day, as an instant in UTC."""
    tz = ZoneInfo(zone)
    last = working_days_after(at.astimezone(tz).date(), n)
    return dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz).astimezone(dt.UTC)


def working_hours_between(
    start: dt.datetime, end: dt.datetime, zone: str = DISTRICT_TIMEZONE
) -> float:
    """The hours from ``start`` to ``end`` (instants) that fall on working days of the district's
    calendar: a weekend or a public holiday between them does not count (0 when ``end`` is not
    after ``start``)."""
    tz = ZoneInfo(zone)
    start, end = start.astimezone(tz), end.astimezone(tz)
    hours = 0.0
    day = start.date()
    while day <= end.date():
        if is_working_day(day):
            opens = dt.datetime.combine(day, dt.time(), tzinfo=tz)
            closes = opens + dt.timedelta(days=1)
            overlap = min(end, closes) - max(start, opens)
            hours += max(overlap.total_seconds(), 0.0) / 3600
        day += dt.timedelta(days=1)
    return hours
