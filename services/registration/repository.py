"""Where registration keeps its workers and their timelines: the only SQL of the service.

The domain's ``Worker`` and ``TimelineEntry`` are mapped onto the tables as they are (SQLAlchemy's
imperative mapping), so the objects the handlers decide with are the ones the session loads and
writes back.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event, func, or_, select, text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, registry

from pmi_common.errors import DuplicateRegistration
from pmi_common.lifecycle import DEPARTED, RETURNED
from pmi_common.store import is_id

from .domain import FamilyMember, TimelineEntry, Worker
from .models import family_members, messaging, timeline, worker_counts, workers

mappers = registry()
mappers.map_imperatively(Worker, workers, version_id_col=workers.c.version)
mappers.map_imperatively(TimelineEntry, timeline)
mappers.map_imperatively(FamilyMember, family_members)


@event.listens_for(Worker, "load")
def _nothing_to_announce(worker: Worker, _context) -> None:
    worker.changes = []  # a worker as stored has announced every change it made


class RegistrationRepository:
    def __init__(self, session: Session):
        self.session = session

    # workers ---------------------------------------------------------------------------------

    def lock_registrations_of(self, nik: str) -> None:
        """Registrations of one NIK take turns until this transaction ends (an advisory lock),
        so the second sees the worker the first made. SQLite serialises all writes."""
        if self.session.bind.dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:nik))"), {"nik": nik})

    def lock_worker_with_nik(self, nik: str) -> Worker | None:
        return self.session.scalars(
            select(Worker).where(workers.c.nik == nik).with_for_update()
        ).first()

    def worker_with_nik(self, nik: str) -> Worker | None:
        return self.session.scalars(select(Worker).where(workers.c.nik == nik)).first()

    def add_worker(self, worker: Worker) -> None:
        """Store a new worker; a NIK another worker already has is ``DuplicateRegistration``."""
        self.session.add(worker)
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise DuplicateRegistration(
                "this NIK was registered a moment ago by another request",
                {"nik": ["already registered"]},
            ) from exc

    def lock_worker(self, worker_id: str | None) -> Worker | None:
        """The worker, held against other writers until this transaction ends."""
        if not worker_id or not is_id(worker_id):
            return None
        return self.session.scalars(
            select(Worker).where(workers.c.id == worker_id).with_for_update()
        ).first()

    def get_worker(self, worker_id: str) -> Worker | None:
        return self.session.get(Worker, worker_id) if is_id(worker_id) else None

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
        """Up to ``limit`` workers in the order of their ids, after the id ``after``; each filter
        given must match exactly (``placement_agency``: whatever its case)."""
        stmt = select(Worker)
        for column, value in (
            ("stage", stage),
            ("status", status),
            ("regency", regency),
            ("destination_country", destination_country),
        ):
            if value:
                stmt = stmt.where(workers.c[column] == value)
        if placement_agency:
            stmt = stmt.where(func.lower(workers.c.placement_agency) == placement_agency.lower())
        if after:
            stmt = stmt.where(workers.c.id > after)
        return list(self.session.scalars(stmt.order_by(workers.c.id).limit(limit)))

    def contracts_ending(
        self, by: dt.date, limit: int, after: tuple[dt.date, str] | None = None
    ) -> list[Worker]:
        """Up to ``limit`` workers abroad whose contract ends on ``by`` or before, soonest
        first (then by id), after the (end, id) ``after``."""
        stmt = select(Worker).where(
            workers.c.status == DEPARTED,
            workers.c.contract_ends_on.is_not(None),
            workers.c.contract_ends_on <= by,
        )
        if after:
            stmt = stmt.where(tuple_(workers.c.contract_ends_on, workers.c.id) > tuple_(*after))
        return list(
            self.session.scalars(
                stmt.order_by(workers.c.contract_ends_on, workers.c.id).limit(limit)
            )
        )

    def lock_contracts_ending_unannounced(
        self, today: dt.date, by: dt.date, limit: int
    ) -> list[Worker]:
        """Up to ``limit`` workers abroad whose contract ends from ``today`` to ``by`` and whose
        coming home was not announced for that end date, soonest first (then by id), locked;
        workers another transaction holds are left for the next check."""
        announced = workers.c.contract_ending_announced_for
        return list(
            self.session.scalars(
                select(Worker)
                .where(
                    workers.c.status == DEPARTED,
                    workers.c.contract_ends_on.between(today, by),
                    or_(announced.is_(None), announced != workers.c.contract_ends_on),
                )
                .order_by(workers.c.contract_ends_on, workers.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )

    def stats(self) -> dict:
        """How many workers there are, in all and by stage, status, regency and destination:
        the counts the database keeps as workers are written (``worker_counts``)."""
        n = func.sum(worker_counts.c.n)
        counts = {"total": {}, "stage": {}, "status": {}, "regency": {}, "destination_country": {}}
        for dimension, value, count in self.session.execute(
            select(worker_counts.c.dimension, worker_counts.c.value, n)
            .group_by(worker_counts.c.dimension, worker_counts.c.value)
            .having(n > 0)
        ):
            counts[dimension][value] = int(count)
        return {
            "total": counts["total"].get("", 0),
            "by_stage": counts["stage"],
            "by_status": counts["status"],
            "by_regency": counts["regency"],
            "by_destination_country": counts["destination_country"],
        }

    # the family ------------------------------------------------------------------------------

    def add_family_member(self, member: FamilyMember) -> None:
        self.session.add(member)

    def family_of(self, worker_id: str) -> list[FamilyMember]:
        """The worker's family members in the order they were added."""
        return list(
            self.session.scalars(
                select(FamilyMember)
                .where(family_members.c.worker_id == worker_id)
                .order_by(family_members.c.added_at, family_members.c.id)
            )
        )

    def get_family_member(self, worker_id: str, member_id: str) -> FamilyMember | None:
        """One of the worker's family members (another worker's is none)."""
        if not is_id(member_id):
            return None
        member = self.session.get(FamilyMember, member_id)
        return member if member is not None and member.worker_id == worker_id else None

    def remove_family_member(self, member: FamilyMember) -> None:
        self.session.delete(member)
        self.session.flush()

    # the timeline ----------------------------------------------------------------------------

    def add_entry(self, entry: TimelineEntry) -> None:
        self.session.add(entry)

    def timeline(self, worker_id: str) -> list[TimelineEntry]:
        """The worker's timeline in the order its entries were added."""
        return list(
            self.session.scalars(
                select(TimelineEntry)
                .where(timeline.c.worker_id == worker_id)
                .order_by(timeline.c.id)
            )
        )

    def return_recorded_at(self, worker_id: str, cycle: int) -> dt.datetime | None:
        """When the worker's return in ``cycle`` was recorded, if it was."""
        return self.session.scalar(
            select(func.max(timeline.c.occurred_at)).where(
                timeline.c.worker_id == worker_id,
                timeline.c.cycle == cycle,
                timeline.c.to_status == RETURNED,
            )
        )

    # what this service published -------------------------------------------------------------

    def worker_events(self, worker_id: str) -> list[dict]:
        """The envelopes of the worker's events, published or about to be, oldest first."""
        if not is_id(worker_id):
            return []
        outbox = messaging.outbox
        return list(
            self.session.scalars(
                select(outbox.c.envelope)
                .where(outbox.c.worker_id == worker_id)
                .order_by(outbox.c.sequence)
            )
        )
