"""The protection repository in memory: the domain's own cases in a dictionary, with the real
repository's methods and meaning (tests/integration/test_protection_repository.py runs the same
checks against both)."""

from __future__ import annotations

import datetime as dt

from pmi_common.store import is_id
from services.protection.domain import Case, urgency_rank


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

    def count_open(
        self, *, now: dt.datetime, seen_by: tuple[str | None, str | None]
    ) -> tuple[int, int]:
        seen = self._seen(now, seen_by)
        return len(seen), sum(1 for c in seen if c.overdue(now))

    def _seen(self, now: dt.datetime, seen_by: tuple[str | None, str | None]) -> list[Case]:
        role, subject = seen_by
        actor = None if role is None else {"role": role, "subject": subject}
        return [c for c in self.cases.values() if c.is_open and c.visible_to(actor)]
