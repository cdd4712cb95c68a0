"""The desk's overview without I/O: counts of open cases and the weeks of the district's
calendar the console's chart shows."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from services.protection.overview import OpenTally, counts, since, week_of, weekly

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 5, 13, 10, tzinfo=WIB)  # a Wednesday


def test_open_cases_are_counted_by_urgency_type_and_country_the_most_first():
    counted = counts(
        [
            OpenTally("lost_contact", "high", "HK", False, 3),
            OpenTally("unpaid_wages", "normal", "MY", True, 2),
            OpenTally("unpaid_wages", "normal", None, False, 2),
        ]
    )
    assert (counted["open"], counted["overdue"]) == (7, 2)
    assert counted["by_urgency"] == {"emergency": 0, "high": 3, "normal": 4}
    assert list(counted["by_type"].items()) == [("unpaid_wages", 4), ("lost_contact", 3)]
    assert counted["by_country"] == {"HK": 3, "MY": 2, "?": 2}


def test_a_week_is_the_districts_monday_to_sunday():
    sunday_night_utc = dt.datetime(2026, 5, 17, 18, tzinfo=dt.UTC)  # Monday 01:00 WIB
    assert week_of(sunday_night_utc) == dt.date(2026, 5, 18)
    assert week_of(NOW) == dt.date(2026, 5, 11)
    assert since(NOW, weeks=2) == dt.datetime(2026, 5, 4, tzinfo=WIB)


def test_each_week_shown_counts_cases_opened_and_resolved_quiet_weeks_as_zero():
    shown = weekly(
        received=[NOW, NOW - dt.timedelta(days=1), NOW - dt.timedelta(weeks=2)],
        resolved=[NOW],
        now=NOW,
        weeks=3,
    )
    assert shown == [
        {"week": "2026-04-27", "opened": 1, "resolved": 0},
        {"week": "2026-05-04", "opened": 0, "resolved": 0},
        {"week": "2026-05-11", "opened": 2, "resolved": 1},
    ]
