"""The reintegration service's use cases: load, decide with the domain, store, publish.

Every write to a programme's participants locks the programme's row first, so seats and the
number advanced in a round hold however many requests arrive at once.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pmi_common import contract as c
from pmi_common.errors import InvalidInput, NotEligible, NotFound
from pmi_common.events import Event
from pmi_common.store import UnitOfWork
from pmi_common.validation import load

from .domain import COMPLETED, ENROLLED, PROSPECTIVE, RETURNEE, audiences_for, fact_of
from .models import KnownWorker, ParticipantRow, ProgramRow, RoundResultRow
from .schemas import CompleteParticipant, CreateProgram, Enrol, ListPrograms, RecordRoundResult

INVITATIONS_LIMIT = 100


# programmes ---------------------------------------------------------------------------------

def create_program(uow: UnitOfWork, payload: dict, now: dt.datetime) -> ProgramRow:
    data = load(CreateProgram(), payload)
    rounds = [{"name": r["name"].strip(), "advance": r["advance"]} for r in data["rounds"]]
    program = ProgramRow(id=str(uuid.uuid4()), name=data["name"].strip(),
                         audience=data["audience"], capacity=data["capacity"],
                         starts_on=data["starts_on"], rounds=rounds, enrolled=0, created_at=now)
    uow.session.add(program)
    uow.publish(c.PROGRAM_CREATED, {
        "program_id": program.id, "name": program.name, "audience": program.audience,
        "capacity": program.capacity, "starts_on": program.starts_on, "rounds": rounds,
    }, stream_id=f"program:{program.id}")
    return program


def get_program(session: Session, program_id: str) -> ProgramRow:
    program = session.get(ProgramRow, program_id) if _is_id(program_id) else None
    if program is None:
        raise NotFound(f"no programme {program_id}")
    return program


def list_programs(session: Session, query: dict,
                  today: dt.date) -> tuple[list[ProgramRow], str | None]:
    """Programmes by start date. ``audience`` keeps those that audience may join (``returnee``:
    returnee and both); ``open`` keeps those not yet started with seats left."""
    params = load(ListPrograms(), query)
    stmt = select(ProgramRow)
    if params["open"]:
        stmt = stmt.where(*_open(today))
    if params.get("audience"):
        audience = params["audience"]
        stmt = stmt.where(ProgramRow.audience.in_(
            (audience,) if audience == "both" else audiences_for(audience)))
    if params.get("cursor"):
        day, _, last_id = params["cursor"].partition("_")
        try:
            after = dt.date.fromisoformat(day)
        except ValueError as exc:
            raise InvalidInput("the cursor is not valid",
                               {"cursor": ["is not a cursor this service gave out"]}) from exc
        stmt = stmt.where(or_(ProgramRow.starts_on > after,
                              and_(ProgramRow.starts_on == after, ProgramRow.id > last_id)))
    stmt = stmt.order_by(ProgramRow.starts_on, ProgramRow.id).limit(params["limit"] + 1)
    rows = list(session.scalars(stmt))
    more = len(rows) > params["limit"]
    rows = rows[: params["limit"]]
    return rows, (f"{rows[-1].starts_on.isoformat()}_{rows[-1].id}" if more else None)


def _open(today: dt.date) -> tuple:
    return ProgramRow.starts_on >= today, ProgramRow.enrolled < ProgramRow.capacity


# participants -------------------------------------------------------------------------------

def enrol_participant(uow: UnitOfWork, program_id: str, payload: dict,
                      now: dt.datetime, today: dt.date) -> ParticipantRow:
    data = load(Enrol(), payload)
    worker_id = str(data["worker_id"])
    session = uow.session
    program = _locked_program(session, program_id)
    worker = session.get(KnownWorker, worker_id)
    already = _find_participant(session, program.id, worker_id) is not None
    kind = program.programme().enrol(worker.facts() if worker else None, today, already)
    participant = ParticipantRow(program=program, worker_id=worker_id, participant_kind=kind,
                                 status=ENROLLED, enrolled_at=now, awarded=False, results=[])
    session.add(participant)
    program.enrolled += 1
    session.flush()
    uow.publish(c.REINTEGRATION_ENROLLED, {"program_id": program.id, "participant_kind": kind},
                worker_id=worker_id)
    return participant


def record_round_result(uow: UnitOfWork, program_id: str, payload: dict,
                        now: dt.datetime) -> ParticipantRow:
    data = load(RecordRoundResult(), payload)
    session = uow.session
    program = _locked_program(session, program_id)
    participant = _enrolled(session, program.id, str(data["worker_id"]))
    programme, participation = program.programme(), participant.participation()
    number, advanced = data["round"], data["advanced"]
    advanced_so_far = session.scalar(select(func.count()).select_from(RoundResultRow).where(
        RoundResultRow.program_id == program.id, RoundResultRow.round == number,
        RoundResultRow.advanced.is_(True)))
    participation.check_round(programme, number, advanced, advanced_so_far)
    participation.record(number, advanced)
    participant.results.append(RoundResultRow(
        program_id=program.id, round=number, advanced=advanced, score=data["score"],
        note=data["note"], recorded_at=now))
    participant.awarded = participation.awarded(programme)
    session.flush()
    uow.publish(c.REINTEGRATION_ROUND_RECORDED, {
        "program_id": program.id, "round": number, "advanced": advanced, "score": data["score"],
        "participant_kind": participant.participant_kind,
    }, worker_id=participant.worker_id)
    return participant


def complete_participant(uow: UnitOfWork, program_id: str, payload: dict,
                         now: dt.datetime) -> ParticipantRow:
    data = load(CompleteParticipant(), payload)
    session = uow.session
    program = _locked_program(session, program_id)
    participant = _enrolled(session, program.id, str(data["worker_id"]))
    participant.participation().complete()
    participant.status, participant.completed_at = COMPLETED, now
    participant.business_started = data["business_started"]
    participant.business_name = data["business_name"]
    participant.sector, participant.regency = data["sector"], data["regency"]
    session.flush()
    uow.publish(c.REINTEGRATION_COMPLETED, {
        "program_id": program.id, "participant_kind": participant.participant_kind,
        "business_started": participant.business_started,
        "business_name": participant.business_name, "sector": participant.sector,
        "regency": participant.regency, "awarded": participant.awarded,
    }, worker_id=participant.worker_id)
    return participant


# workers, from registration's events --------------------------------------------------------

def note_worker(uow: UnitOfWork, event: Event, today: dt.date) -> list[ProgramRow]:
    """Keep the newest fact about a worker; when the event is their return, the open programmes
    they are invited to."""
    if not event.worker_id:
        raise InvalidInput(f"{event.event_type} names no worker", {"worker_id": ["missing"]})
    row = _known_worker(uow.session, event.worker_id, event.occurred_at)
    facts = row.facts()
    status, returned = fact_of(event.event_type, event.data)
    newer = facts.observe(event.data["cycle"], event.sequence, status, returned)
    row.keep(facts)
    if newer:
        row.updated_at = event.occurred_at
    if event.event_type == c.WORKER_REGISTERED and (newer or row.full_name is None):
        row.full_name, row.regency = event.data["full_name"], event.data["regency"]
    if returned and event.data["cycle"] == facts.cycle == facts.returned_cycle:
        _enrolled_since_as_returnee(uow.session, row.id, event.occurred_at)
    if event.event_type == c.WORKER_RETURNED and newer:
        row.returned_on = event.data["returned_on"]
        if facts.kind == RETURNEE:
            return _open_to(uow.session, row.id, RETURNEE, today)
    return []


def _enrolled_since_as_returnee(session: Session, worker_id: str, returned_at) -> None:
    """A participation recorded after the worker's return, before this service heard of it, was
    taken for a prospective worker's: it is a returnee's. (Registration, which knew of the
    return, has moved the worker on already; this keeps the programmes' figures right.)"""
    session.execute(update(ParticipantRow).where(
        ParticipantRow.worker_id == worker_id, ParticipantRow.participant_kind == PROSPECTIVE,
        ParticipantRow.enrolled_at >= returned_at,
    ).values(participant_kind=RETURNEE))


def invitations(session: Session, worker_id: str,
                today: dt.date) -> tuple[KnownWorker, str | None, list[ProgramRow]]:
    worker = session.get(KnownWorker, worker_id) if _is_id(worker_id) else None
    if worker is None:
        raise NotFound(f"this service has not heard of worker {worker_id}")
    kind = worker.facts().kind
    return worker, kind, (_open_to(session, worker.id, kind, today) if kind else [])


def _open_to(session: Session, worker_id: str, kind: str, today: dt.date) -> list[ProgramRow]:
    joined = select(ParticipantRow.program_id).where(ParticipantRow.worker_id == worker_id)
    return list(session.scalars(
        select(ProgramRow)
        .where(*_open(today), ProgramRow.audience.in_(audiences_for(kind)),
               ProgramRow.id.not_in(joined))
        .order_by(ProgramRow.starts_on, ProgramRow.id).limit(INVITATIONS_LIMIT)))


def knows_worker(session: Session, worker_id: str) -> bool:
    """Whether registration's word about the worker has reached this service."""
    worker = session.get(KnownWorker, worker_id)
    return worker is not None and worker.cycle > 0


def _known_worker(session: Session, worker_id: str, now: dt.datetime) -> KnownWorker:
    """The worker's row, created if new, locked: events about one worker apply one at a time."""
    insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(KnownWorker).values(
        id=worker_id, cycle=0, sequence=0, updated_at=now,
    ).on_conflict_do_nothing(index_elements=[KnownWorker.id]))
    return session.scalars(
        select(KnownWorker).where(KnownWorker.id == worker_id).with_for_update()).one()


# statistics ---------------------------------------------------------------------------------

def program_stats(session: Session, program_id: str) -> dict:
    program = get_program(session, program_id)
    per_round = {number: (recorded, advanced) for number, recorded, advanced in session.execute(
        select(RoundResultRow.round, func.count(),
               func.count().filter(RoundResultRow.advanced.is_(True)))
        .where(RoundResultRow.program_id == program.id).group_by(RoundResultRow.round))}
    completed, businesses, awarded = session.execute(
        select(func.count().filter(ParticipantRow.status == COMPLETED),
               func.count().filter(ParticipantRow.business_started.is_(True)),
               func.count().filter(ParticipantRow.awarded.is_(True)))
        .where(ParticipantRow.program_id == program.id)).one()
    return {
        "program_id": program.id,
        "enrolled": program.enrolled,
        "rounds": [{"name": r["name"], "advance": r["advance"],
                    "recorded": per_round.get(n, (0, 0))[0],
                    "advanced": per_round.get(n, (0, 0))[1]}
                   for n, r in enumerate(program.rounds, start=1)],
        "completed": completed,
        "businesses_started": businesses,
        "awarded": awarded,
    }


def stats(session: Session) -> dict:
    returnee = ParticipantRow.participant_kind == RETURNEE
    participants, returnees, with_business = session.execute(select(
        func.count(),
        func.count(ParticipantRow.worker_id.distinct()).filter(returnee),
        func.count(ParticipantRow.worker_id.distinct()).filter(
            returnee, ParticipantRow.business_started.is_(True)),
    ).select_from(ParticipantRow)).one()
    return {
        "programs": session.scalar(select(func.count()).select_from(ProgramRow)),
        "participants": participants,
        "returnees_enrolled": returnees,
        "returnees_with_business": with_business,
    }


# helpers --------------------------------------------------------------------------------

def _is_id(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _locked_program(session: Session, program_id: str) -> ProgramRow:
    program = None
    if _is_id(program_id):
        program = session.scalars(
            select(ProgramRow).where(ProgramRow.id == program_id).with_for_update()).first()
    if program is None:
        raise NotFound(f"no programme {program_id}")
    return program


def _find_participant(session: Session, program_id: str, worker_id: str) -> ParticipantRow | None:
    return session.scalars(select(ParticipantRow).where(
        ParticipantRow.program_id == program_id, ParticipantRow.worker_id == worker_id)).first()


def _enrolled(session: Session, program_id: str, worker_id: str) -> ParticipantRow:
    participant = _find_participant(session, program_id, worker_id)
    if participant is None:
        raise NotEligible("the worker is not enrolled in this programme",
                          {"reason": "not_enrolled"})
    return participant
