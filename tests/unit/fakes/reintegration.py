"""The reintegration repository in memory: dictionaries of the domain's own objects, with the
real repository's methods and meaning (tests/integration/test_reintegration_repository.py runs
the same checks against both)."""

from __future__ import annotations

import datetime as dt
import itertools

from pmi_common.store import is_id
from services.reintegration.domain import COMPLETED, RETURNEE, Participant, Programme, Worker


class FakeReintegrationRepository:
    def __init__(self):
        self.programmes: dict[str, Programme] = {}
        self.participants: dict[int, Participant] = {}
        self.workers: dict[str, Worker] = {}
        self._ids = itertools.count(1)

    # programmes -------------------------------------------------------------------------------

    def add_programme(self, programme: Programme) -> None:
        self.programmes[programme.id] = programme

    def get_programme(self, program_id: str) -> Programme | None:
        return self.programmes.get(program_id) if is_id(program_id) else None

    def lock_programme(self, program_id: str) -> Programme | None:
        return self.get_programme(program_id)

    def list_programmes(
        self,
        *,
        open_on: dt.date | None,
        audiences: tuple[str, ...] | None,
        after: tuple[dt.date, str] | None,
        limit: int,
    ) -> list[Programme]:
        chosen = [
            p
            for p in self.programmes.values()
            if (open_on is None or p.is_open(open_on))
            and (audiences is None or p.audience in audiences)
            and (after is None or (p.starts_on, p.id) > after)
        ]
        return sorted(chosen, key=_order)[:limit]

    def open_programmes_for(
        self, worker_id: str, audiences: tuple[str, ...], today: dt.date, limit: int
    ) -> list[Programme]:
        joined = {p.program_id for p in self.participants.values() if p.worker_id == worker_id}
        chosen = [
            p
            for p in self.programmes.values()
            if p.is_open(today) and p.audience in audiences and p.id not in joined
        ]
        return sorted(chosen, key=_order)[:limit]

    # participants -----------------------------------------------------------------------------

    def add_participant(self, participant: Participant) -> None:
        if self.find_participant(participant.program_id, participant.worker_id) is not None:
            raise ValueError("uq_participants_program_worker: one participation per programme")
        self.participants[next(self._ids)] = participant

    def find_participant(self, program_id: str, worker_id: str) -> Participant | None:
        return next(
            (
                p
                for p in self.participants.values()
                if p.program_id == program_id and p.worker_id == worker_id
            ),
            None,
        )

    def participations_of(self, worker_id: str) -> list[Participant]:
        return [p for _, p in sorted(self.participants.items()) if p.worker_id == worker_id]

    def count_advanced(self, program_id: str, number: int) -> int:
        return sum(
            1
            for p in self.participants.values()
            for r in p.results
            if r.program_id == program_id and r.round == number and r.advanced
        )

    # workers ------------------------------------------------------------------------------------

    def get_worker(self, worker_id: str) -> Worker | None:
        return self.workers.get(worker_id) if is_id(worker_id) else None

    def hold_workers(self, worker_ids, at: dt.datetime) -> None:
        for worker_id in worker_ids:
            self.lock_worker(worker_id, at)

    def lock_worker(self, worker_id: str, at: dt.datetime) -> Worker:
        return self.workers.setdefault(worker_id, Worker(id=worker_id, updated_at=at))

    # figures --------------------------------------------------------------------------------------

    def program_stats(self, programme: Programme) -> dict:
        joined = [p for p in self.participants.values() if p.program_id == programme.id]
        results = [r for p in joined for r in p.results]
        return {
            "program_id": programme.id,
            "enrolled": programme.enrolled,
            "rounds": [
                {
                    "name": r.name,
                    "advance": r.advance,
                    "recorded": sum(1 for x in results if x.round == n),
                    "advanced": sum(1 for x in results if x.round == n and x.advanced),
                }
                for n, r in enumerate(programme.rounds, start=1)
            ],
            "completed": sum(1 for p in joined if p.status == COMPLETED),
            "businesses_started": sum(1 for p in joined if p.business_started),
            "awarded": sum(1 for p in joined if p.awarded),
        }

    def stats(self) -> dict:
        returnees = [p for p in self.participants.values() if p.participant_kind == RETURNEE]
        return {
            "programs": len(self.programmes),
            "participants": len(self.participants),
            "returnees_enrolled": len({p.worker_id for p in returnees}),
            "returnees_with_business": len({p.worker_id for p in returnees if p.business_started}),
        }


def _order(programme: Programme) -> tuple:
    return programme.starts_on, programme.id
