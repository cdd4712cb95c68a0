"""The protection repository in memory: the domain's own cases in a dictionary, with the real
repository's methods and meaning (tests/integration/test_protection_repository.py runs the same
checks against both)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from pmi_common.store import is_id
from services.protection.domain import Case, urgency_rank
from services.protection.overview import OpenTally


class FakeProtectionRepository:
    def __init__(self):
        self.cases: dict[str, Case] = {}

    def add(self, new: Case) -> None:
        if any(kept.number == new.number for kept in self.cases.values()):
            raise ValueError("cases_number_key: a case number is unique")
        self.cases[new.id] = new
        for step in new.steps:
            step.case_id = new.id

    def get(self, case_id: str) -> Case | None:
        return self.cases.get(case_id) if is_id(case_id) else None

    def lock(self, case_id: str) -> Case | None:
        return self.get(case_id)

    def by_number(self, number: str) -> Case | None:
        return next((c for c in self.cases.values() if c.number == number), None)

    def open_cases(
        self,
        *,
        now: dt.datetime,
        seen_by: tuple[str | None, str | None],
        urgency: str | None = None,
        overdue_only: bool = False,
        limit: int = 50,
    ) -> list[Case]:
        chosen = [
            c
            for c in self._seen(now, seen_by)
            if (urgency is None or c.urgency == urgency) and (not overdue_only or c.overdue(now))
        ]
        return sorted(
            chosen,
            key=lambda c: (not c.overdue(now), urgency_rank(c.urgency), c.received_at, c.id),
        )[:limit]

    def open_tallies(
        self, *, now: dt.datetime, seen_by: tuple[str | None, str | None]
    ) -> list[OpenTally]:
        counted = Counter(
            (c.case_type, c.urgency, c.destination_country, bool(c.overdue(now)))
            for c in self._seen(now, seen_by)
        )
        return [OpenTally(*key, count) for key, count in counted.items()]

    def moments_since(
        self, since: dt.datetime, *, seen_by: tuple[str | None, str | None]
    ) -> tuple[list[dt.datetime], list[dt.datetime]]:
        role, subject = seen_by
        actor = None if role is None else {"role": role, "subject": subject}
        seen = [c for c in self.cases.values() if c.visible_to(actor)]
        return (
            [c.received_at for c in seen if c.received_at >= since],
            [c.resolved_at for c in seen if c.resolved_at is not None and c.resolved_at >= since],
        )

    def count_open(
        self, *, now: dt.datetime, seen_by: tuple[str | None, str | None]
    ) -> tuple[int, int]:
        seen = self._seen(now, seen_by)
        return len(seen), sum(1 for c in seen if c.overdue(now))

    def _seen(self, now: dt.datetime, seen_by: tuple[str | None, str | None]) -> list[Case]:
        role, subject = seen_by
        actor = None if role is None else {"role": role, "subject": subject}
        return [c for c in self.cases.values() if c.is_open and c.visible_to(actor)]
