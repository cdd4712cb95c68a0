"""The orientation repository in memory: dictionaries of domain objects, the same methods and
answers as ``services.orientation.repository.OrientationRepository``. Locks are no-ops (one
thread); the objects handed out are the stored ones, as a database session's are."""

from __future__ import annotations

import datetime as dt

from pmi_common.paging import decode_cursor, page
from pmi_common.store import is_id
from services.orientation.domain import (
    CHECK_IN_CLOSES,
    ENROLLED,
    IDENTITY_MISMATCH,
    SCHEDULED,
    Completion,
    Enrolment,
    Incident,
    Sitting,
    Trainee,
)


class FakeOrientationRepository:
    def __init__(self) -> None:
        self.sittings: dict[str, Sitting] = {}
        self.trainees: dict[str, Trainee] = {}
        self.enrolments: dict[tuple[str, str], Enrolment] = {}
        self.completions: dict[str, Completion] = {}
        self.incidents: dict[int, Incident] = {}

    # sittings ---------------------------------------------------------------------------------

    def add_sitting(self, sitting: Sitting) -> None:
        self.sittings[sitting.id] = sitting

    def get_sitting(self, sitting_id: str) -> Sitting | None:
        return self.sittings.get(str(sitting_id)) if is_id(sitting_id) else None

    def lock_sitting(self, sitting_id: str) -> Sitting | None:
        return self.get_sitting(sitting_id)

    def sittings_page(
        self, limit: int, cursor: str | None = None, upcoming_at: dt.datetime | None = None
    ) -> tuple[list[Sitting], str | None]:
        rows = sorted(self.sittings.values(), key=lambda s: (s.starts_at, s.id))
        if upcoming_at is not None:
            rows = [
                s
                for s in rows
                if s.status == SCHEDULED and s.starts_at > upcoming_at and s.enrolled < s.capacity
            ]
        if cursor:
            after = decode_cursor(cursor, (dt.datetime, str))
            rows = [s for s in rows if (s.starts_at, s.id) > after]
        return page(rows[: limit + 1], limit, lambda s: (s.starts_at, s.id))

    def next_sitting_with_seats(self, now: dt.datetime, excluding: str) -> Sitting | None:
        rows, _ = self.sittings_page(1 + len(self.sittings), upcoming_at=now)
        return next((s for s in rows if s.id != excluding), None)

    # trainees ---------------------------------------------------------------------------------

    def knows_worker(self, worker_id: str) -> bool:
        trainee = self.trainees.get(worker_id)
        return trainee is not None and trainee.registered

    def lock_trainee(self, worker_id: str) -> Trainee | None:
        return self.trainees.get(worker_id)

    def hold_workers(self, worker_ids, now: dt.datetime) -> None:
        for worker_id in worker_ids:
            self.lock_trainee_heard_of(worker_id, now)

    def lock_trainee_heard_of(self, worker_id: str, now: dt.datetime) -> Trainee:
        return self.trainees.setdefault(worker_id, Trainee(worker_id=worker_id, updated_at=now))

    # enrolments -------------------------------------------------------------------------------

    def add_enrolment(self, enrolment: Enrolment) -> None:
        key = (enrolment.sitting_id, enrolment.worker_id)
        if key in self.enrolments:
            raise ValueError(f"enrolment {key} exists")  # the primary key
        self.enrolments[key] = enrolment

    def lock_enrolment(self, sitting_id: str, worker_id: str) -> Enrolment | None:
        return self.enrolments.get((sitting_id, worker_id))

    def lock_enrolled_in(self, sitting_id: str) -> list[Enrolment]:
        return sorted(
            (
                e
                for e in self.enrolments.values()
                if e.sitting_id == sitting_id and e.status == ENROLLED
            ),
            key=lambda e: e.worker_id,
        )

    def seats_held(self, worker_id: str, now: dt.datetime) -> list[Enrolment]:
        held = []
        for enrolment in self.enrolments.values():
            sitting = self.sittings[enrolment.sitting_id]
            if (
                enrolment.worker_id == worker_id
                and enrolment.status == ENROLLED
                and sitting.status == SCHEDULED
                and sitting.starts_at > now - CHECK_IN_CLOSES
            ):
                held.append(enrolment)
        return sorted(held, key=lambda e: (self.sittings[e.sitting_id].starts_at, e.sitting_id))

    # completions ------------------------------------------------------------------------------

    def add_completion(self, completion: Completion) -> None:
        if self.completion_of(completion.worker_id, completion.cycle) is not None:
            raise ValueError("one completion per worker and cycle")  # the unique constraint
        self.completions[completion.certificate_number] = completion

    def completion_of(self, worker_id: str, cycle: int) -> Completion | None:
        return next(
            (
                done
                for done in self.completions.values()
                if done.worker_id == worker_id and done.cycle == cycle
            ),
            None,
        )

    def get_completion(self, certificate_number: str) -> Completion | None:
        return self.completions.get(certificate_number)

    # incidents --------------------------------------------------------------------------------

    def add_incident(self, incident: Incident) -> None:
        incident.id = max(self.incidents, default=0) + 1
        self.incidents[incident.id] = incident

    def wrong_niks(
        self, worker_id: str, trainer: str | None, since: dt.datetime
    ) -> list[dt.datetime]:
        return [
            i.occurred_at
            for i in self.incidents.values()
            if i.worker_id == worker_id
            and i.kind == IDENTITY_MISMATCH
            and (i.actor_subject == trainer if trainer else i.actor_subject is None)
            and i.occurred_at > since
        ]

    def incidents_page(
        self,
        limit: int,
        cursor: str | None = None,
        sitting_id: str | None = None,
        worker_id: str | None = None,
    ) -> tuple[list[Incident], str | None]:
        rows = sorted(self.incidents.values(), key=lambda i: i.id, reverse=True)
        if sitting_id:
            rows = [i for i in rows if i.sitting_id == sitting_id]
        if worker_id:
            rows = [i for i in rows if i.worker_id == worker_id]
        if cursor:
            (before,) = decode_cursor(cursor, (int,))
            rows = [i for i in rows if i.id < before]
        return page(rows[: limit + 1], limit, lambda i: (i.id,))
