"""The reporting repository in memory, with the real repository's methods and meaning
(tests/integration/test_reporting_repository.py runs the same checks against both)."""

from __future__ import annotations

from dataclasses import astuple, replace

from services.reporting.domain import (
    CaseClock,
    Fact,
    Figure,
    Programme,
    WorkerProfile,
    figures_of,
)


class FakeReportingRepository:
    def __init__(self):
        self.facts: dict[tuple[str, str], Fact] = {}
        self.profiles: dict[str, WorkerProfile] = {}
        self.kept_programmes: dict[str, Programme] = {}
        self.clocks: dict[str, CaseClock] = {}
        self.inbox_cleared = 0

    def add_facts(self, new) -> None:
        for fact in new:
            self.facts.setdefault((fact.event_id, fact.measure), fact)

    def keep_profile(self, profile: WorkerProfile) -> None:
        kept = self.profiles.get(profile.worker_id)
        if kept is None or profile.cycle >= kept.cycle:
            self.profiles[profile.worker_id] = replace(profile)

    def keep_profiles(self, profiles) -> None:
        for profile in profiles:
            self.keep_profile(profile)

    def keep_programme(self, programme: Programme) -> None:
        self.kept_programmes[programme.program_id] = programme

    def keep_case_clock(self, clock: CaseClock) -> None:
        kept = self.clocks.get(clock.case_id)
        self.clocks[clock.case_id] = clock if kept is None else kept.merged(clock)

    def case_clocks(self, start: str, end: str) -> list[CaseClock]:
        return [
            self.clocks[k]
            for k in sorted(self.clocks)
            if start <= (self.clocks[k].month or "") <= end
        ]

    def clear(self, inbox=None) -> None:
        self.clocks.clear()
        self.facts.clear()
        self.profiles.clear()
        self.kept_programmes.clear()
        self.inbox_cleared += 1

    def figures(self, start: str, end: str) -> list[Figure]:
        return figures_of(self.facts.values(), self.profiles, start, end)

    def programmes(self) -> list[Programme]:
        return [self.kept_programmes[k] for k in sorted(self.kept_programmes)]

    def months(self) -> tuple[str | None, str | None]:
        months = sorted(fact.month for fact in self.facts.values())
        return (months[0], months[-1]) if months else (None, None)

    def snapshot(self) -> dict[str, list[tuple]]:
        facts = sorted(self.facts.values(), key=lambda f: (f.event_id, f.measure))
        return {
            "facts": [
                (f.event_id, f.measure, f.month, f.detail, f.worker_id, f.country, f.quantity)
                for f in facts
            ],
            "worker_profiles": [
                (
                    p.worker_id,
                    p.cycle,
                    p.sex,
                    p.birth_year,
                    p.district,
                    p.village,
                    p.country,
                    p.sector,
                    p.company,
                )
                for p in (self.profiles[k] for k in sorted(self.profiles))
            ],
            "programmes": [astuple(p) for p in self.programmes()],
            "case_clocks": [astuple(self.clocks[k]) for k in sorted(self.clocks)],
        }
