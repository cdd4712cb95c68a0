"""The clock, as a dependency, so tests can set the time.

Instants are UTC; "today" is the district's calendar day (``DISTRICT_TIMEZONE``, WIB
``Asia/Jakarta`` by default), where the service centres work: a worker born on this day in
Blitar turns 18 when Blitar's day begins, not at 07:00 local time.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from nameko.extensions import DependencyProvider

DISTRICT_TIMEZONE = "Asia/Jakarta"


def district_date(now: dt.datetime, zone: str = DISTRICT_TIMEZONE) -> dt.date:
    """The calendar day in the district's time zone at an instant."""
    return now.astimezone(ZoneInfo(zone)).date()


class SystemClock:
    def __init__(self, zone: str = DISTRICT_TIMEZONE):
        self.zone = zone

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return district_date(self.now(), self.zone)


class FixedClock(SystemClock):
    """A clock that says what it is told: for tests and backfills."""

    def __init__(self, at: dt.datetime, zone: str = DISTRICT_TIMEZONE):
        super().__init__(zone)
        self.at = at

    def now(self) -> dt.datetime:
        return self.at

    def advance(self, **delta) -> None:
        self.at += dt.timedelta(**delta)


class Clock(DependencyProvider):
    """The system clock in the district's zone (``DISTRICT_TIMEZONE`` in the config)."""

    def __init__(self) -> None:
        self.clock: SystemClock | None = None

    def setup(self):
        if self.clock is None:
            zone = self.container.config.get("DISTRICT_TIMEZONE") or DISTRICT_TIMEZONE
            ZoneInfo(zone)  # an unknown zone stops the service at start, not at the first date
            self.clock = SystemClock(zone)

    def get_dependency(self, worker_ctx) -> SystemClock:
        assert self.clock is not None  # set up before any worker runs
        return self.clock
