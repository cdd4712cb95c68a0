"""The clock, as a dependency, so tests can set the time."""

from __future__ import annotations

import datetime as dt

from nameko.extensions import DependencyProvider


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return self.now().date()


class FixedClock(SystemClock):
    """A clock that says what it is told: for tests and backfills."""

    def __init__(self, at: dt.datetime):
        self.at = at

    def now(self) -> dt.datetime:
        return self.at

    def advance(self, **delta) -> None:
        self.at += dt.timedelta(**delta)


class Clock(DependencyProvider):
    def __init__(self):
        self.clock: SystemClock = SystemClock()

    def get_dependency(self, worker_ctx) -> SystemClock:
        return self.clock
