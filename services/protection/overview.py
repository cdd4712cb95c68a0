"""The desk's overview, as plain Python: open cases counted by urgency, type and destination
country, and the cases opened and resolved in each of the last weeks (weeks of the district's
calendar, Monday to Sunday, WIB)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pmi_common.names import CASE_URGENCIES
from pmi_common.workdays import DISTRICT_TIMEZONE

WEEKS_SHOWN = 12
NO_COUNTRY = "?"  # a case about someone whose destination nobody knows yet


@dataclass(frozen=True)
class OpenTally:
    """How many open cases share a type, an urgency, a destination and being overdue or not."""

    case_type: str
    urgency: str
    destination_country: str | None
    overdue: bool
    count: int


def counts(tallies: Iterable[OpenTally]) -> dict:
    """Open and overdue cases, and the open ones by urgency (most urgent first), type and
    destination country."""
    by_urgency: Counter[str] = Counter(dict.fromkeys(CASE_URGENCIES, 0))
    by_type: Counter[str] = Counter()
    by_country: Counter[str] = Counter()
    total = overdue = 0
    for tally in tallies:
        total += tally.count
        overdue += tally.count if tally.overdue else 0
        by_urgency[tally.urgency] += tally.count
        by_type[tally.case_type] += tally.count
        by_country[tally.destination_country or NO_COUNTRY] += tally.count
    return {
        "open": total,
        "overdue": overdue,
        "by_urgency": {u: by_urgency[u] for u in CASE_URGENCIES},
        "by_type": dict(by_type.most_common()),
        "by_country": dict(by_country.most_common()),
    }


def week_of(moment: dt.datetime, zone: str = DISTRICT_TIMEZONE) -> dt.date:
    """The Monday that starts the district's week ``moment`` falls in."""
    day = moment.astimezone(ZoneInfo(zone)).date()
    return day - dt.timedelta(days=day.weekday())


def first_week(now: dt.datetime, weeks: int = WEEKS_SHOWN, zone: str = DISTRICT_TIMEZONE):
    """The Monday of the first of the ``weeks`` weeks shown, the current one last."""
    return week_of(now, zone) - dt.timedelta(weeks=weeks - 1)


def weekly(
    received: Iterable[dt.datetime],
    resolved: Iterable[dt.datetime],
    now: dt.datetime,
    weeks: int = WEEKS_SHOWN,
    zone: str = DISTRICT_TIMEZONE,
) -> list[dict]:
    """Cases opened and resolved in each of the last ``weeks`` weeks, oldest first, empty weeks
    included (a chart shows a quiet week as a zero, not as a gap)."""
    start = first_week(now, weeks, zone)
    mondays = [start + dt.timedelta(weeks=n) for n in range(weeks)]
    opened = Counter(week_of(at, zone) for at in received)
    closed = Counter(week_of(at, zone) for at in resolved)
    return [
        {"week": monday.isoformat(), "opened": opened[monday], "resolved": closed[monday]}
        for monday in mondays
    ]


def since(now: dt.datetime, weeks: int = WEEKS_SHOWN, zone: str = DISTRICT_TIMEZONE):
    """The instant the weeks shown begin: midnight of their first Monday, in the district."""
    return dt.datetime.combine(first_week(now, weeks, zone), dt.time(), ZoneInfo(zone))
