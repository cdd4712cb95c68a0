"""The letters repository in memory, with the real one's methods and meaning
(tests/integration/test_letters_repository.py runs the same checks against both)."""

from __future__ import annotations

from pmi_common.store import is_id
from services.letters.domain import Letter


class FakeLettersRepository:
    def __init__(self):
        self.letters: dict[str, Letter] = {}
        self.counters: dict[tuple[str, int], int] = {}

    def add(self, new: Letter) -> None:
        self.letters[new.id] = new

    def get(self, letter_id: str) -> Letter | None:
        return self.letters.get(letter_id) if is_id(letter_id) else None

    def lock(self, letter_id: str) -> Letter | None:
        return self.get(letter_id)

    def hold_worker(self, worker_id: str) -> None:
        """One caller at a time here: nothing to wait for."""

    def of_worker(self, worker_id: str) -> list[Letter]:
        return sorted(
            (x for x in self.letters.values() if x.worker_id == worker_id),
            key=lambda x: (x.requested_at, x.id),
        )

    def by_code(self, code: str) -> Letter | None:
        return next((x for x in self.letters.values() if x.verification_code == code), None)

    def listed(
        self,
        *,
        village: str | None = None,
        status: str | None = None,
        letter_type: str | None = None,
        limit: int = 50,
    ) -> list[Letter]:
        chosen = [
            x
            for x in self.letters.values()
            if (village is None or x.village_code == village)
            and (status is None or x.status == status)
            and (letter_type is None or x.letter_type == letter_type)
        ]
        return sorted(chosen, key=lambda x: (x.requested_at, x.id))[:limit]

    def next_seq(self, letter_type: str, year: int) -> int:
        key = (letter_type, year)
        self.counters[key] = self.counters.get(key, 0) + 1
        return self.counters[key]
