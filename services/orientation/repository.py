"""Where the orientation service's domain objects are stored: the only SQL of the service.

The domain classes are mapped onto the tables as they are (``Sitting`` on ``sessions``,
``Trainee`` on ``workers``, ...): the session loads them and flushes their changes, nothing is
copied. Locks are taken worker, then sitting, then enrolment, by every unit of work, so units
running at once wait for each other but never deadlock; a locked object is read afresh.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session, registry

from pmi_common.paging import decode_cursor, page
from pmi_common.store import hold_rows, is_id

from .domain import (
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
from .models import completions, enrolments, incidents, sittings, trainees

mapper_registry = registry()
mapper_registry.map_imperatively(Sitting, sittings)
mapper_registry.map_imperatively(
    Trainee,
    trainees,
    properties={"worker_id": trainees.c.id, "sequence": trainees.c.status_sequence},
)
mapper_registry.map_imperatively(
    Enrolment, enrolments, properties={"sitting_id": enrolments.c.session_id}
)
mapper_registry.map_imperatively(
    Completion, completions, properties={"sitting_id": completions.c.session_id}
)
mapper_registry.map_imperatively(
    Incident, incidents, properties={"sitting_id": incidents.c.session_id}
)

_FRESH = {"populate_existing": True}  # a locked row is read again, whatever the session holds


def _sitting_order(sitting: Sitting) -> tuple[dt.datetime, str]:
    return sitting.starts_at, sitting.id


class OrientationRepository:
    def __init__(self, session: Session):
        self.session = session
        self._held: dict[str, Trainee] = {}  # trainees this unit of work locked by hold_workers
        self._seatless: set[str] = set()  # ... of them, those with no enrolment holding a seat

    # sittings ---------------------------------------------------------------------------------

    def add_sitting(self, sitting: Sitting) -> None:
        self.session.add(sitting)
        self.session.flush()

    def get_sitting(self, sitting_id: str) -> Sitting | None:
        return self.session.get(Sitting, str(sitting_id)) if is_id(sitting_id) else None

    def lock_sitting(self, sitting_id: str) -> Sitting | None:
        if not is_id(sitting_id):
            return None
        return self.session.scalars(
            select(Sitting)
            .where(sittings.c.id == str(sitting_id))
            .with_for_update()
            .execution_options(**_FRESH)
        ).first()

    def sittings_page(
        self, limit: int, cursor: str | None = None, upcoming_at: dt.datetime | None = None
    ) -> tuple[list[Sitting], str | None]:
        """Sittings by start (then id), after ``cursor``; with ``upcoming_at``, only those
        scheduled after that moment with seats left."""
        stmt = select(Sitting)
        if upcoming_at is not None:
            stmt = stmt.where(
                sittings.c.status == SCHEDULED,
                sittings.c.starts_at > upcoming_at,
                sittings.c.enrolled < sittings.c.capacity,
            )
        if cursor:
            after = decode_cursor(cursor, (dt.datetime, str))
            stmt = stmt.where(tuple_(sittings.c.starts_at, sittings.c.id) > tuple_(*after))
        rows = self.session.scalars(
            stmt.order_by(sittings.c.starts_at, sittings.c.id).limit(limit + 1)
        ).all()
        return page(rows, limit, _sitting_order)

    def next_sitting_with_seats(self, now: dt.datetime, excluding: str) -> Sitting | None:
        """The earliest upcoming sitting with a seat left, other than ``excluding``."""
        return self.session.scalars(
            select(Sitting)
            .where(
                sittings.c.status == SCHEDULED,
                sittings.c.starts_at > now,
                sittings.c.enrolled < sittings.c.capacity,
                sittings.c.id != excluding,
            )
            .order_by(sittings.c.starts_at, sittings.c.id)
            .limit(1)
        ).first()

    # trainees ---------------------------------------------------------------------------------

    def knows_worker(self, worker_id: str) -> bool:
        """Whether registration's word about the worker has reached this service."""
        trainee = self.session.get(Trainee, worker_id) if is_id(worker_id) else None
        return trainee is not None and trainee.registered

    def lock_trainee(self, worker_id: str) -> Trainee | None:
        if not is_id(worker_id):
            return None
        return self.session.scalars(
            select(Trainee)
            .where(trainees.c.id == worker_id)
            .with_for_update()
            .execution_options(**_FRESH)
        ).first()

    def hold_workers(self, worker_ids: Iterable[str], now: dt.datetime) -> None:
        """Lock the trainees a batch of other services' words is about, each recorded blank if
        it is the first word about them, and note which hold no seat (only a command that
        holds the trainee's lock enrols). ``lock_trainee_heard_of`` and ``seats_held`` then
        answer for them without asking the database again."""
        held, added = hold_rows(
            self.session,
            Trainee,
            trainees,
            worker_ids,
            lambda worker_id: {
                "id": worker_id,
                "registered": False,
                "cycle": 0,
                "status_sequence": 0,
                "documents_complete": False,
                "documents_sequence": 0,
                "updated_at": now,
            },
        )
        known = [worker_id for worker_id in held if worker_id not in added]
        seated = (
            set(
                self.session.scalars(
                    select(enrolments.c.worker_id)
                    .distinct()
                    .where(enrolments.c.worker_id.in_(known), enrolments.c.status == ENROLLED)
                )
            )
            if known
            else set()
        )
        self._held.update(held)
        self._seatless.update(set(held) - seated)

    def lock_trainee_heard_of(self, worker_id: str, now: dt.datetime) -> Trainee:
        """The trainee a word from another service is about, recorded blank if it is the first
        word about them (two first words at once: one records, both get it), and locked."""
        if worker_id not in self._held:
            self.hold_workers([worker_id], now)
        return self._held[worker_id]

    # enrolments -------------------------------------------------------------------------------

    def add_enrolment(self, enrolment: Enrolment) -> None:
        self._seatless.discard(enrolment.worker_id)
        self.session.add(enrolment)
        self.session.flush()

    def lock_enrolment(self, sitting_id: str, worker_id: str) -> Enrolment | None:
        return self.session.scalars(
            select(Enrolment)
            .where(enrolments.c.session_id == sitting_id, enrolments.c.worker_id == worker_id)
            .with_for_update()
            .execution_options(**_FRESH)
        ).first()

    def lock_enrolled_in(self, sitting_id: str) -> list[Enrolment]:
        """The seats taken in a sitting, locked in worker order."""
        return list(
            self.session.scalars(
                select(Enrolment)
                .where(enrolments.c.session_id == sitting_id, enrolments.c.status == ENROLLED)
                .order_by(enrolments.c.worker_id)
                .with_for_update()
                .execution_options(**_FRESH)
            )
        )

    def ticket_holder(self, sitting_id: str, ticket: str) -> str | None:
        """The worker whose seat in the sitting has this ticket (given back or not); not
        locked: the attendance locks her, then the seat."""
        return self.session.scalars(
            select(enrolments.c.worker_id).where(
                enrolments.c.session_id == sitting_id, enrolments.c.ticket == ticket
            )
        ).first()

    def seats_held(self, worker_id: str, now: dt.datetime) -> list[Enrolment]:
        """The worker's enrolments that still hold a seat (sitting not cancelled, check-in not
        closed), by the sitting's start; not locked."""
        if worker_id in self._seatless:
            return []
        return list(
            self.session.scalars(
                select(Enrolment)
                .join(sittings, sittings.c.id == enrolments.c.session_id)
                .where(
                    enrolments.c.worker_id == worker_id,
                    enrolments.c.status == ENROLLED,
                    sittings.c.status == SCHEDULED,
                    sittings.c.starts_at > now - CHECK_IN_CLOSES,
                )
                .order_by(sittings.c.starts_at, sittings.c.id)
            )
        )

    # completions ------------------------------------------------------------------------------

    def add_completion(self, completion: Completion) -> None:
        self.session.add(completion)
        self.session.flush()

    def completion_of(self, worker_id: str, cycle: int) -> Completion | None:
        return self.session.scalars(
            select(Completion).where(
                completions.c.worker_id == worker_id, completions.c.cycle == cycle
            )
        ).first()

    def latest_completion(self, worker_id: str) -> Completion | None:
        return self.session.scalars(
            select(Completion)
            .where(completions.c.worker_id == worker_id)
            .order_by(completions.c.completed_at.desc())
        ).first()

    def get_completion(self, certificate_number: str) -> Completion | None:
        return self.session.get(Completion, certificate_number)

    # incidents --------------------------------------------------------------------------------

    def add_incident(self, incident: Incident) -> None:
        """Store an incident; it gets its ``id``."""
        self.session.add(incident)
        self.session.flush()

    def wrong_niks(
        self, worker_id: str, trainer: str | None, since: dt.datetime
    ) -> list[dt.datetime]:
        """When this trainer (None: no one named) presented a wrong NIK for this worker, after
        ``since``."""
        by = (
            incidents.c.actor_subject == trainer if trainer else incidents.c.actor_subject.is_(None)
        )
        return list(
            self.session.scalars(
                select(incidents.c.occurred_at).where(
                    incidents.c.worker_id == worker_id,
                    incidents.c.kind == IDENTITY_MISMATCH,
                    by,
                    incidents.c.occurred_at > since,
                )
            )
        )

    def incidents_page(
        self,
        limit: int,
        cursor: str | None = None,
        sitting_id: str | None = None,
        worker_id: str | None = None,
    ) -> tuple[list[Incident], str | None]:
        """Incidents, newest first, before ``cursor``; of one sitting or worker when named."""
        stmt = select(Incident)
        if sitting_id:
            stmt = stmt.where(incidents.c.session_id == sitting_id)
        if worker_id:
            stmt = stmt.where(incidents.c.worker_id == worker_id)
        if cursor:
            (before,) = decode_cursor(cursor, (int,))
            stmt = stmt.where(incidents.c.id < before)
        rows = self.session.scalars(stmt.order_by(incidents.c.id.desc()).limit(limit + 1)).all()
        return page(rows, limit, lambda incident: (incident.id,))
