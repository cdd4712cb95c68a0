"""Registration's repository in memory: the same methods as ``RegistrationRepository``, over
dictionaries of the domain's objects (the contract suite in
``tests/integration/test_registration_repository.py`` holds both to the same behaviour)."""

from __future__ import annotations

import datetime as dt

from pmi_common.errors import DuplicateRegistration
from pmi_common.lifecycle import DEPARTED, RETURNED
from pmi_common.store import is_id
from services.registration.domain import FamilyMember, TimelineEntry, Worker


class FakeRegistrationRepository:
    def __init__(self):
        self.workers: dict[str, Worker] = {}
        self.entries: list[TimelineEntry] = []
        self.family: dict[str, FamilyMember] = {}
        # the envelopes this service published (the real one reads its outbox table)
        self.outbox: list[dict] = []

    # workers ---------------------------------------------------------------------------------

    def lock_registrations_of(self, nik: str) -> None:
        """Nothing runs at the same time here."""

    def lock_worker_with_nik(self, nik: str) -> Worker | None:
        return next((worker for worker in self.workers.values() if worker.nik == nik), None)

    def add_worker(self, worker: Worker) -> None:
        if self.lock_worker_with_nik(worker.nik) is not None:
            raise DuplicateRegistration(
                "this NIK was registered a moment ago by another request",
                {"nik": ["already registered"]},
            )
        self.workers[worker.id] = worker

    def lock_worker(self, worker_id: str | None) -> Worker | None:
        if not worker_id or not is_id(worker_id):
            return None
        return self.workers.get(worker_id)

    def get_worker(self, worker_id: str) -> Worker | None:
        return self.workers.get(worker_id) if is_id(worker_id) else None

    def list_workers(
        self,
        limit: int,
        after: str | None = None,
        stage: str | None = None,
        status: str | None = None,
        regency: str | None = None,
        destination_country: str | None = None,
        placement_agency: str | None = None,
    ) -> list[Worker]:
        wanted = {
            "stage": stage,
            "status": status,
            "regency": regency,
            "destination_country": destination_country,
        }
        found = [
            worker
            for worker in self.workers.values()
            if all(getattr(worker, key) == value for key, value in wanted.items() if value)
            and (
                not placement_agency or worker.placement_agency.lower() == placement_agency.lower()
            )
            and (not after or worker.id > after)
        ]
        return sorted(found, key=lambda worker: worker.id)[:limit]

    def contracts_ending(
        self, by: dt.date, limit: int, after: tuple[dt.date, str] | None = None
    ) -> list[Worker]:
        found = [
            worker
            for worker in self.workers.values()
            if worker.status == DEPARTED
            and worker.contract_ends_on is not None
            and worker.contract_ends_on <= by
            and (not after or (worker.contract_ends_on, worker.id) > after)
        ]
        return sorted(found, key=lambda worker: (worker.contract_ends_on, worker.id))[:limit]

    def lock_contracts_ending_unannounced(
        self, today: dt.date, by: dt.date, limit: int
    ) -> list[Worker]:
        found = [
            worker
            for worker in self.workers.values()
            if worker.status == DEPARTED
            and worker.contract_ends_on is not None
            and today <= worker.contract_ends_on <= by
            and worker.contract_ending_announced_for != worker.contract_ends_on
        ]
        return sorted(found, key=lambda worker: (worker.contract_ends_on, worker.id))[:limit]

    def stats(self) -> dict:
        def count_by(key: str) -> dict:
            counts: dict = {}
            for worker in self.workers.values():
                counts[getattr(worker, key)] = counts.get(getattr(worker, key), 0) + 1
            return counts

        return {
            "total": len(self.workers),
            "by_stage": count_by("stage"),
            "by_status": count_by("status"),
            "by_regency": count_by("regency"),
            "by_destination_country": count_by("destination_country"),
        }

    # the family ------------------------------------------------------------------------------

    def add_family_member(self, member: FamilyMember) -> None:
        self.family[member.id] = member

    def family_of(self, worker_id: str) -> list[FamilyMember]:
        return sorted(
            (member for member in self.family.values() if member.worker_id == worker_id),
            key=lambda member: (member.added_at, member.id),
        )

    def get_family_member(self, worker_id: str, member_id: str) -> FamilyMember | None:
        member = self.family.get(member_id)
        return member if member is not None and member.worker_id == worker_id else None

    def remove_family_member(self, member: FamilyMember) -> None:
        del self.family[member.id]

    # the timeline ----------------------------------------------------------------------------

    def add_entry(self, entry: TimelineEntry) -> None:
        entry.id = len(self.entries) + 1
        self.entries.append(entry)

    def timeline(self, worker_id: str) -> list[TimelineEntry]:
        return [entry for entry in self.entries if entry.worker_id == worker_id]

    def return_recorded_at(self, worker_id: str, cycle: int) -> dt.datetime | None:
        return max(
            (
                entry.occurred_at
                for entry in self.entries
                if entry.worker_id == worker_id
                and entry.cycle == cycle
                and entry.to_status == RETURNED
            ),
            default=None,
        )

    # what this service published -------------------------------------------------------------

    def worker_events(self, worker_id: str) -> list[dict]:
        if not is_id(worker_id):
            return []
        return sorted(
            (envelope for envelope in self.outbox if envelope["worker_id"] == worker_id),
            key=lambda envelope: envelope["sequence"],
        )
