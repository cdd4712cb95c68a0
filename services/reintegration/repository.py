"""Where the reintegration service's domain objects are kept: the only SQL of the service.

The domain classes are mapped onto the tables (imperative mapping), so the objects a session
loads are the domain's own and changing them is what gets stored.

Every write to a programme's participants locks the programme first (``lock_programme``), so seats
and the number advanced in a round hold however many requests arrive at once; events about one
worker apply one at a time (``lock_worker``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, registry, relationship

from pmi_common.store import hold_rows, is_id

from .domain import (
    COMPLETED,
    RETURNEE,
    FollowUp,
    Participant,
    Programme,
    RoundResult,
    Worker,
)
from .models import follow_ups, participants, programs, round_results, workers

mapper = registry()
mapper.map_imperatively(Worker, workers)
mapper.map_imperatively(Programme, programs)
mapper.map_imperatively(RoundResult, round_results)
mapper.map_imperatively(FollowUp, follow_ups)
mapper.map_imperatively(
    Participant,
    participants,
    properties={
        "programme": relationship(Programme),
        "results": relationship(RoundResult, order_by=round_results.c.round, lazy="selectin"),
        "follow_ups": relationship(FollowUp, order_by=follow_ups.c.months, lazy="selectin"),
    },
)


class ReintegrationRepository:
    def __init__(self, session: Session):
        self.session = session
        self._held: dict[str, Worker] = {}  # workers this unit of work locked by hold_workers

    # programmes -------------------------------------------------------------------------------

    def add_programme(self, programme: Programme) -> None:
        self.session.add(programme)

    def get_programme(self, program_id: str) -> Programme | None:
        return self.session.get(Programme, program_id) if is_id(program_id) else None

    def lock_programme(self, program_id: str) -> Programme | None:
        """The programme, locked until the transaction ends: its seats and rounds are ours."""
        if not is_id(program_id):
            return None
        return self.session.scalars(
            select(Programme).where(programs.c.id == program_id).with_for_update()
        ).first()

    def list_programmes(
        self,
        *,
        open_on: dt.date | None,
        audiences: tuple[str, ...] | None,
        after: tuple[dt.date, str] | None,
        limit: int,
    ) -> list[Programme]:
        """Programmes by (start date, id), after ``after``: those with one of ``audiences``,
        and when ``open_on`` is given, only those open on that day."""
        stmt = select(Programme)
        if open_on is not None:
            stmt = stmt.where(*_open(open_on))
        if audiences is not None:
            stmt = stmt.where(programs.c.audience.in_(audiences))
        if after is not None:
            day, last_id = after
            stmt = stmt.where(
                or_(
                    programs.c.starts_on > day,
                    and_(programs.c.starts_on == day, programs.c.id > last_id),
                )
            )
        stmt = stmt.order_by(programs.c.starts_on, programs.c.id).limit(limit)
        return list(self.session.scalars(stmt))

    def open_programmes_for(
        self, worker_id: str, audiences: tuple[str, ...], today: dt.date, limit: int
    ) -> list[Programme]:
        """The programmes open today for ``audiences`` that the worker has not joined."""
        joined = select(participants.c.program_id).where(participants.c.worker_id == worker_id)
        return list(
            self.session.scalars(
                select(Programme)
                .where(
                    *_open(today), programs.c.audience.in_(audiences), programs.c.id.not_in(joined)
                )
                .order_by(programs.c.starts_on, programs.c.id)
                .limit(limit)
            )
        )

    # participants -----------------------------------------------------------------------------

    def add_participant(self, participant: Participant) -> None:
        self.session.add(participant)
        self.session.flush()

    def find_participant(self, program_id: str, worker_id: str) -> Participant | None:
        return self.session.scalars(
            select(Participant).where(
                participants.c.program_id == program_id, participants.c.worker_id == worker_id
            )
        ).first()

    def participations_of(self, worker_id: str) -> list[Participant]:
        return list(
            self.session.scalars(
                select(Participant)
                .where(participants.c.worker_id == worker_id)
                .order_by(participants.c.id)
            )
        )

    def count_advanced(self, program_id: str, number: int) -> int:
        """How many participants of the programme advanced in round ``number``."""
        return self.session.scalar(
            select(func.count())
            .select_from(round_results)
            .where(
                round_results.c.program_id == program_id,
                round_results.c.round == number,
                round_results.c.advanced.is_(True),
            )
        )

    # workers ------------------------------------------------------------------------------------

    def get_worker(self, worker_id: str) -> Worker | None:
        return self.session.get(Worker, worker_id) if is_id(worker_id) else None

    def hold_workers(self, worker_ids: Iterable[str], at: dt.datetime) -> None:
        """Lock the workers a batch of registration's events is about, each kept from now on
        if new (blank: cycle 0, no status); ``lock_worker`` then answers for them without
        asking the database again."""
        held, _ = hold_rows(
            self.session,
            Worker,
            workers,
            worker_ids,
            lambda worker_id: {"id": worker_id, "cycle": 0, "sequence": 0, "updated_at": at},
        )
        self._held.update(held)

    def lock_worker(self, worker_id: str, at: dt.datetime) -> Worker:
        """The worker, kept from now on if new, locked: events about one worker apply one at a
        time."""
        if worker_id not in self._held:
            self.hold_workers([worker_id], at)
        return self._held[worker_id]

    # figures --------------------------------------------------------------------------------------

    def program_stats(self, programme: Programme) -> dict:
        """The funnel of one programme: how many were recorded and advanced in each round, how
        many completed, started a business, and were awarded."""
        per_round = {
            number: (recorded, advanced)
            for number, recorded, advanced in self.session.execute(
                select(
                    round_results.c.round,
                    func.count(),
                    func.count().filter(round_results.c.advanced.is_(True)),
                )
                .where(round_results.c.program_id == programme.id)
                .group_by(round_results.c.round)
            )
        }
        completed, businesses, awarded = self.session.execute(
            select(
                func.count().filter(participants.c.status == COMPLETED),
                func.count().filter(participants.c.business_started.is_(True)),
                func.count().filter(participants.c.awarded.is_(True)),
            ).where(participants.c.program_id == programme.id)
        ).one()
        return {
            "program_id": programme.id,
            "enrolled": programme.enrolled,
            "rounds": [
                {
                    "name": r.name,
                    "advance": r.advance,
                    "recorded": per_round.get(n, (0, 0))[0],
                    "advanced": per_round.get(n, (0, 0))[1],
                }
                for n, r in enumerate(programme.rounds, start=1)
            ],
            "completed": completed,
            "businesses_started": businesses,
            "awarded": awarded,
        }

    def stats(self) -> dict:
        """Programmes, participants, and the returnees enrolled and with a business started."""
        returnee = participants.c.participant_kind == RETURNEE
        worker = participants.c.worker_id.distinct()
        counted, returnees, with_business = self.session.execute(
            select(
                func.count(),
                func.count(worker).filter(returnee),
                func.count(worker).filter(returnee, participants.c.business_started.is_(True)),
            ).select_from(participants)
        ).one()
        return {
            "programs": self.session.scalar(select(func.count()).select_from(programs)),
            "participants": counted,
            "returnees_enrolled": returnees,
            "returnees_with_business": with_business,
        }


def _open(today: dt.date) -> tuple:
    """Not started by ``today``, with a seat left (``Programme.is_open``)."""
    return programs.c.starts_on >= today, programs.c.enrolled < programs.c.capacity
