"""The reintegration service's handlers: validate, decide with the domain, store through the
repository, publish through the unit of work. The tables at the bottom list every one."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from pmi_common import contract as c
from pmi_common.errors import InvalidInput, NotEligible, NotFound
from pmi_common.events import Event
from pmi_common.paging import decode_cursor, page
from pmi_common.unit_of_work import UnitOfWork
from pmi_common.validation import load

from .domain import BOTH, RETURNEE, Heard, Participant, Programme, Round, Worker, audiences_for
from .schemas import (
    CompleteParticipant,
    CreateProgram,
    Enrol,
    ListPrograms,
    RecordFollowUp,
    RecordRoundResult,
)

if TYPE_CHECKING:
    from .repository import ReintegrationRepository

    Work = UnitOfWork[ReintegrationRepository]

INVITATIONS_LIMIT = 100


# commands -----------------------------------------------------------------------------------


def create_program(uow: Work, command: dict, now: dt.datetime) -> Programme:
    data = load(CreateProgram(), command)
    rounds = tuple(Round(r["name"].strip(), r["advance"]) for r in data["rounds"])
    programme = Programme(
        id=str(uuid.uuid4()),
        name=data["name"].strip(),
        audience=data["audience"],
        capacity=data["capacity"],
        starts_on=data["starts_on"],
        rounds=rounds,
        enrolled=0,
        created_at=now,
    )
    uow.repository.add_programme(programme)
    uow.publish(
        c.PROGRAM_CREATED,
        {
            "program_id": programme.id,
            "name": programme.name,
            "audience": programme.audience,
            "capacity": programme.capacity,
            "starts_on": programme.starts_on,
            "rounds": [{"name": r.name, "advance": r.advance} for r in rounds],
        },
        stream_id=f"program:{programme.id}",
    )
    return programme


def enrol_participant(
    uow: Work, program_id: str, command: dict, now: dt.datetime, today: dt.date
) -> Participant:
    data = load(Enrol(), command)
    worker_id = str(data["worker_id"])
    repository = uow.repository
    programme = _locked(repository, program_id)
    already = repository.find_participant(programme.id, worker_id) is not None
    kind = programme.enrol(repository.get_worker(worker_id), today, already)
    participant = Participant(
        programme=programme,
        program_id=programme.id,
        worker_id=worker_id,
        participant_kind=kind,
        enrolled_at=now,
    )
    repository.add_participant(participant)
    uow.publish(
        c.REINTEGRATION_ENROLLED,
        {"program_id": programme.id, "participant_kind": kind},
        worker_id=worker_id,
    )
    return participant


def record_round_result(uow: Work, program_id: str, command: dict, now: dt.datetime) -> Participant:
    data = load(RecordRoundResult(), command)
    repository = uow.repository
    programme = _locked(repository, program_id)
    participant = _participant(repository, programme.id, str(data["worker_id"]))
    number, advanced = data["round"], data["advanced"]
    participant.check_round(
        programme, number, advanced, repository.count_advanced(programme.id, number)
    )
    participant.record(number, advanced, score=data["score"], note=data["note"], at=now)
    uow.publish(
        c.REINTEGRATION_ROUND_RECORDED,
        {
            "program_id": programme.id,
            "round": number,
            "advanced": advanced,
            "score": data["score"],
            "participant_kind": participant.participant_kind,
        },
        worker_id=participant.worker_id,
    )
    return participant


def complete_participant(
    uow: Work, program_id: str, command: dict, now: dt.datetime
) -> Participant:
    data = load(CompleteParticipant(), command)
    repository = uow.repository
    programme = _locked(repository, program_id)
    participant = _participant(repository, programme.id, str(data["worker_id"]))
    participant.complete(
        now,
        business_started=data["business_started"],
        business_name=data["business_name"],
        sector=data["sector"],
        regency=data["regency"],
    )
    uow.publish(
        c.REINTEGRATION_COMPLETED,
        {
            "program_id": programme.id,
            "participant_kind": participant.participant_kind,
            "business_started": participant.business_started,
            "business_name": participant.business_name,
            "sector": participant.sector,
            "regency": participant.regency,
            "awarded": participant.awarded,
        },
        worker_id=participant.worker_id,
    )
    return participant


def record_follow_up(
    uow: Work, program_id: str, command: dict, now: dt.datetime, today: dt.date
) -> Participant:
    """The desk's follow-up of a business started, 6 or 12 months after the completion."""
    data = load(RecordFollowUp(), command)
    repository = uow.repository
    programme = _locked(repository, program_id)
    participant = _participant(repository, programme.id, str(data["worker_id"]))
    done = participant.follow_up(
        data["months"],
        data["business_running"],
        data["income_band"],
        data["migrated_again"],
        today,
        at=now,
    )
    uow.publish(
        c.REINTEGRATION_FOLLOWED_UP,
        {
            "program_id": programme.id,
            "participant_kind": participant.participant_kind,
            "months": done.months,
            "business_running": done.business_running,
            "income_band": done.income_band,
            "migrated_again": done.migrated_again,
        },
        worker_id=participant.worker_id,
    )
    return participant


def _locked(repository: ReintegrationRepository, program_id: str) -> Programme:
    programme = repository.lock_programme(program_id)
    if programme is None:
        raise NotFound(f"no programme {program_id}")
    return programme


def _participant(
    repository: ReintegrationRepository, program_id: str, worker_id: str
) -> Participant:
    participant = repository.find_participant(program_id, worker_id)
    if participant is None:
        raise NotEligible(
            "the worker is not enrolled in this programme", {"reason": "not_enrolled"}
        )
    return participant


# queries ------------------------------------------------------------------------------------


def list_programs(
    repository: ReintegrationRepository, query: dict, today: dt.date
) -> tuple[list[Programme], str | None]:
    """Programmes by start date. ``audience`` keeps those that audience may join (``returnee``:
    returnee and both); ``open`` keeps those not yet started with seats left."""
    params = load(ListPrograms(), query)
    audience = params.get("audience")
    limit = params["limit"]
    rows = repository.list_programmes(
        open_on=today if params["open"] else None,
        audiences=None
        if audience is None
        else (audience,)
        if audience == BOTH
        else audiences_for(audience),
        after=decode_cursor(params["cursor"], (dt.date, str)) if params.get("cursor") else None,
        limit=limit + 1,
    )
    return page(rows, limit, key=lambda programme: (programme.starts_on, programme.id))


def get_program(repository: ReintegrationRepository, program_id: str) -> Programme:
    programme = repository.get_programme(program_id)
    if programme is None:
        raise NotFound(f"no programme {program_id}")
    return programme


def invitations(
    repository: ReintegrationRepository, worker_id: str, today: dt.date
) -> tuple[Worker, str | None, list[Programme]]:
    """The worker, what they are to programmes, and the open programmes they may join; for a
    worker abroad due home (``Worker.due_home_on``), the returnees' programmes that start once
    the contract has ended: the reintegration desk's outreach."""
    worker = repository.get_worker(worker_id)
    if worker is None:
        raise NotFound(f"this service has not heard of worker {worker_id}")
    kind = worker.kind
    if kind:
        found = repository.open_programmes_for(
            worker.id, audiences_for(kind), today, INVITATIONS_LIMIT
        )
    else:
        found = _for_due_home(repository, worker, today)
    return worker, kind, found


def _for_due_home(
    repository: ReintegrationRepository, worker: Worker, today: dt.date
) -> list[Programme]:
    """The returnees' programmes open on the day a worker abroad is due home (none when the
    worker is not due home)."""
    due_on = worker.due_home_on
    if due_on is None:
        return []
    return repository.open_programmes_for(
        worker.id, audiences_for(RETURNEE), max(today, due_on), INVITATIONS_LIMIT
    )


def program_stats(repository: ReintegrationRepository, program_id: str) -> dict:
    return repository.program_stats(get_program(repository, program_id))


def get_stats(repository: ReintegrationRepository) -> dict:
    return repository.stats()


def knows_worker(repository: ReintegrationRepository, worker_id: str) -> bool:
    """Whether registration's word about the worker has reached this service."""
    worker = repository.get_worker(worker_id)
    return worker is not None and worker.known


# events from registration -------------------------------------------------------------------


def on_worker_registered(uow: Work, event: Event, today: dt.date) -> list[Programme]:
    data = event.data
    worker = _worker(uow, event)
    worker.hear_registration(
        data["cycle"], event.sequence, event.occurred_at, data["full_name"], data["regency"]
    )
    return []


def on_worker_status_changed(uow: Work, event: Event, today: dt.date) -> list[Programme]:
    worker = _worker(uow, event)
    heard = worker.hear(
        event.data["cycle"], event.sequence, event.data["to_status"], event.occurred_at
    )
    _count_as_returnee(uow, worker, heard, event.occurred_at)
    return []


def on_worker_returned(uow: Work, event: Event, today: dt.date) -> list[Programme]:
    """The worker's return, or a former worker registered as a returnee (the day of whose
    return is not known): the open programmes for returnees they are invited to."""
    worker = _worker(uow, event)
    heard = worker.hear_return(
        event.data["cycle"], event.sequence, event.occurred_at, event.data.get("returned_on")
    )
    _count_as_returnee(uow, worker, heard, event.occurred_at)
    if heard is not Heard.RETURN:
        return []
    return uow.repository.open_programmes_for(
        worker.id, audiences_for(RETURNEE), today, INVITATIONS_LIMIT
    )


def on_contract_ending(uow: Work, event: Event, today: dt.date) -> list[Programme]:
    """A worker abroad is due home: the contract's end is kept, and the returnees' programmes
    open when they are back are those they are invited to (``invitations``)."""
    worker = _worker(uow, event)
    data = event.data
    worker.hear_contract_ending(data["cycle"], event.sequence, event.occurred_at, data["ends_on"])
    return _for_due_home(uow.repository, worker, today)


def _worker(uow: Work, event: Event) -> Worker:
    if not event.worker_id:
        raise InvalidInput(f"{event.event_type} names no worker", {"worker_id": ["missing"]})
    return uow.repository.lock_worker(event.worker_id, event.occurred_at)


def _count_as_returnee(uow: Work, worker: Worker, heard: Heard, at: dt.datetime) -> None:
    """A return just heard of: the worker's participations since are a returnee's."""
    if heard is Heard.RETURN:
        for participant in uow.repository.participations_of(worker.id):
            participant.reclassify(at)


COMMANDS = {
    "create_program": create_program,
    "enrol_participant": enrol_participant,
    "record_round_result": record_round_result,
    "complete_participant": complete_participant,
    "record_follow_up": record_follow_up,
}
QUERIES = {
    "list_programs": list_programs,
    "get_program": get_program,
    "invitations": invitations,
    "program_stats": program_stats,
    "get_stats": get_stats,
    "knows_worker": knows_worker,
}
EVENTS = {
    c.WORKER_REGISTERED: on_worker_registered,
    c.WORKER_STATUS_CHANGED: on_worker_status_changed,
    c.WORKER_RETURNED: on_worker_returned,
    c.FORMER_WORKER_REGISTERED: on_worker_returned,
    c.CONTRACT_ENDING: on_contract_ending,
}
