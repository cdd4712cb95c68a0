"""The registration service's use cases: load, decide with the domain, store, publish."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pmi_common import contract as c
from pmi_common.clock import district_date
from pmi_common.errors import DuplicateRegistration, InvalidInput, NotFound
from pmi_common.events import Event
from pmi_common.identity import mask_nik, nik_digest
from pmi_common.store import UnitOfWork
from pmi_common.validation import load

from .domain import (
    IN_REINTEGRATION,
    REGISTERED,
    RETURNED,
    STAGE,
    Lifecycle,
    StatusChange,
    may_register_again,
)
from .models import TimelineRow, WorkerRow, worker_counts
from .schemas import (
    ListWorkers,
    RecordDeparture,
    RecordReturn,
    RegisterWorker,
    UpdateWorker,
    Withdraw,
)


def register_worker(uow: UnitOfWork, payload: dict, now: dt.datetime,
                    today: dt.date | None = None) -> WorkerRow:
    """``today``: the district's day (``Clock.today()``), WIB's by default."""
    data = load(RegisterWorker(today=today or district_date(now)), payload)
    session = uow.session
    _serialise_registrations_of(session, data["nik"])
    worker = session.scalars(
        select(WorkerRow).where(WorkerRow.nik == data["nik"]).with_for_update()
    ).first()
    if worker is not None and not may_register_again(worker.status):
        raise DuplicateRegistration(
            f"this NIK is already registered to worker {worker.id}, who is {worker.status}",
            {"worker_id": worker.id, "status": worker.status},
        )
    previous = worker.status if worker else None
    if worker is None:
        worker = WorkerRow(id=str(uuid.uuid4()), nik=data["nik"],
                           nik_digest=nik_digest(data["nik"]), cycle=1, registered_at=now)
        session.add(worker)
    else:
        _start_new_cycle(worker, now)
    _fill(worker, data)
    worker.status, worker.stage, worker.updated_at = REGISTERED, STAGE[REGISTERED], now
    try:
        session.flush()
    except IntegrityError as exc:
        raise DuplicateRegistration("this NIK was registered a moment ago by another request",
                                    {"nik": ["already registered"]}) from exc
    registered = uow.publish(c.WORKER_REGISTERED, {
        "nik_masked": mask_nik(worker.nik), "nik_digest": worker.nik_digest,
        "full_name": worker.full_name, "sex": worker.sex, "regency": worker.regency,
        "destination_country": worker.destination_country, "occupation": worker.occupation,
        "placement_agency": worker.placement_agency, "cycle": worker.cycle,
    }, worker_id=worker.id)
    _note(uow, worker, registered, details={"cycle": worker.cycle})
    reason = "registered" if previous is None else f"registered_again_after:{previous}"
    _announce(uow, worker, [StatusChange(previous, REGISTERED, reason)])
    return worker


def _serialise_registrations_of(session: Session, nik: str) -> None:
    """Two registrations of one NIK at once take turns (a transaction-scoped advisory lock), so
    the second sees the first and is refused naming its worker. SQLite serialises all writes."""
    if session.bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:nik))"), {"nik": nik})


def _start_new_cycle(worker: WorkerRow, now: dt.datetime) -> None:
    worker.cycle += 1
    worker.registered_at = now
    worker.documents_complete = False
    worker.documents_valid_until = None
    worker.orientation_completed = False
    worker.bpjs_number = None
    worker.departed_on = worker.employer = None
    worker.returned_on = worker.return_reason = None


def _fill(worker: WorkerRow, data: dict) -> None:
    worker.full_name = data["full_name"]
    worker.birth_date = data["birth_date"]
    worker.sex = data["sex"]
    worker.phone = data["phone"]
    worker.address = {k: v for k, v in data["address"].items() if v is not None}
    worker.regency = data["address"]["regency"].strip()
    worker.destination_country = data["destination_country"]
    worker.occupation = data["occupation"]
    worker.placement_agency = data["placement_agency"]


# commands on an existing worker -------------------------------------------------------------

def update_worker(uow: UnitOfWork, worker_id: str, payload: dict, now: dt.datetime) -> WorkerRow:
    data = load(UpdateWorker(), payload)
    worker = _locked(uow.session, worker_id)
    if "phone" in data:
        worker.phone = data["phone"]
    if "address" in data:
        worker.address = {k: v for k, v in data["address"].items() if v is not None}
        worker.regency = data["address"]["regency"].strip()
    lifecycle = _lifecycle(worker)
    if "bpjs_number" in data and data["bpjs_number"] != worker.bpjs_number:
        lifecycle.bpjs_recorded(data["bpjs_number"])
        _note_command(uow, worker, "bpjs_number_recorded", now, {})
    worker.updated_at = now
    _store(uow, worker, lifecycle)
    return worker


def record_departure(uow: UnitOfWork, worker_id: str, payload: dict, now: dt.datetime,
                     today: dt.date, horizon_days: int) -> WorkerRow:
    data = load(RecordDeparture(today=today, horizon_days=horizon_days), payload)
    worker = _locked(uow.session, worker_id)
    lifecycle = _lifecycle(worker, today)
    lifecycle.depart(data["departed_on"])
    worker.departed_on, worker.employer = data["departed_on"], data["employer"]
    worker.destination_country = data["destination_country"]
    worker.updated_at = now
    departed = uow.publish(c.WORKER_DEPARTED, {**data, "cycle": worker.cycle}, worker_id=worker.id)
    _note(uow, worker, departed, details={"employer": data["employer"],
                                          "destination_country": data["destination_country"],
                                          "departed_on": data["departed_on"].isoformat()})
    _store(uow, worker, lifecycle)
    return worker


def record_return(uow: UnitOfWork, worker_id: str, payload: dict, now: dt.datetime,
                  today: dt.date) -> WorkerRow:
    data = load(RecordReturn(today=today), payload)
    worker = _locked(uow.session, worker_id)
    lifecycle = _lifecycle(worker)
    lifecycle.return_home(data["reason"])
    if worker.departed_on and data["returned_on"] < worker.departed_on:
        raise InvalidInput("the return date is before the departure",
                           {"returned_on": [f"must not be before {worker.departed_on}"]})
    worker.returned_on, worker.return_reason = data["returned_on"], data["reason"]
    worker.updated_at = now
    returned = uow.publish(c.WORKER_RETURNED, {
        "returned_on": data["returned_on"], "reason": data["reason"], "cycle": worker.cycle,
    }, worker_id=worker.id)
    _note(uow, worker, returned, details={"returned_on": data["returned_on"].isoformat(),
                                          "reason": data["reason"]})
    _store(uow, worker, lifecycle)
    return worker


def withdraw_worker(uow: UnitOfWork, worker_id: str, payload: dict,
                    now: dt.datetime) -> WorkerRow:
    data = load(Withdraw(), payload)
    worker = _locked(uow.session, worker_id)
    lifecycle = _lifecycle(worker)
    lifecycle.withdraw(data["reason"])
    worker.updated_at = now
    _store(uow, worker, lifecycle)
    return worker


# events from other services ---------------------------------------------------------------

def apply_event(uow: UnitOfWork, event: Event, today: dt.date | None = None) -> WorkerRow:
    """Put another service's event on the worker's timeline and apply what it means."""
    worker = _locked(uow.session, event.worker_id)
    _note(uow, worker, event)
    lifecycle = _lifecycle(worker, today)
    kind, data = event.event_type, event.data
    if event.source == c.DOCUMENTS:
        complete = kind == c.DOCUMENTS_COMPLETED or data.get("checklist_complete", False)
        lifecycle.documents_changed(complete, event.sequence, _reason(event),
                                    valid_until=data.get("earliest_expiry"))
    elif kind == c.ORIENTATION_COMPLETED:
        lifecycle.orientation_done(_reason(event))
    elif kind == c.REINTEGRATION_ENROLLED and _returnees(uow.session, worker, event):
        lifecycle.reintegration_enrolled()
    elif kind == c.REINTEGRATION_COMPLETED and _returnees(uow.session, worker, event):
        lifecycle.reintegration_completed()
    worker.updated_at = event.occurred_at
    _store(uow, worker, lifecycle, cause=event)
    return worker


def _returnees(session: Session, worker: WorkerRow, event: Event) -> bool:
    """Whether a reintegration event is a returnee's participation.

    Reintegration says so from its own copy of the worker, which may not yet have heard of a
    return this record already holds (a desk enrols a worker right after recording the return):
    such a participation comes as "prospective". This record decides: a participation recorded
    after the worker's return in the current cycle is a returnee's."""
    if event.data["participant_kind"] == "returnee":
        return True
    if worker.status not in (RETURNED, IN_REINTEGRATION):
        return False
    returned_at = session.scalar(select(func.max(TimelineRow.occurred_at)).where(
        TimelineRow.worker_id == worker.id, TimelineRow.cycle == worker.cycle,
        TimelineRow.to_status == RETURNED))
    return returned_at is not None and event.occurred_at >= returned_at


def _reason(event: Event) -> str:
    document_type = event.data.get("document_type")
    return f"{event.event_type}:{document_type}" if document_type else event.event_type


# queries --------------------------------------------------------------------------------

def get_worker(session: Session, worker_id: str) -> WorkerRow:
    worker = session.get(WorkerRow, worker_id) if _is_id(worker_id) else None
    if worker is None:
        raise NotFound(f"no worker {worker_id}")
    return worker


def worker_events(session: Session, outbox, worker_id: str) -> list[dict]:
    """The worker's events as this service published (or is about to publish) them, oldest
    first: how another service meets a worker whose news has not reached it yet."""
    if not _is_id(worker_id):
        return []
    return list(session.scalars(select(outbox.c.envelope).where(outbox.c.worker_id == worker_id)
                                .order_by(outbox.c.sequence)))


def list_workers(session: Session, query: dict) -> tuple[list[WorkerRow], str | None]:
    params = load(ListWorkers(), query)
    stmt = select(WorkerRow)
    for column in ("stage", "status", "regency", "destination_country"):
        if params.get(column):
            stmt = stmt.where(getattr(WorkerRow, column) == params[column])
    if params.get("placement_agency"):
        stmt = stmt.where(func.lower(WorkerRow.placement_agency)
                          == params["placement_agency"].lower())
    if params.get("cursor"):
        stmt = stmt.where(WorkerRow.id > params["cursor"])
    rows = list(session.scalars(stmt.order_by(WorkerRow.id).limit(params["limit"] + 1)))
    more = len(rows) > params["limit"]
    rows = rows[: params["limit"]]
    return rows, (rows[-1].id if more else None)


def timeline(session: Session, worker_id: str) -> list[TimelineRow]:
    get_worker(session, worker_id)
    return list(session.scalars(
        select(TimelineRow).where(TimelineRow.worker_id == worker_id).order_by(TimelineRow.id)
    ))


def stats(session: Session) -> dict:
    """The counts the database keeps as workers are written (``worker_counts``)."""
    n = func.sum(worker_counts.c.n)
    counts = {"total": {}, "stage": {}, "status": {}, "regency": {}, "destination_country": {}}
    for dimension, value, count in session.execute(
            select(worker_counts.c.dimension, worker_counts.c.value, n)
            .group_by(worker_counts.c.dimension, worker_counts.c.value).having(n > 0)):
        counts[dimension][value] = int(count)
    return {
        "total": counts["total"].get("", 0),
        "by_stage": counts["stage"],
        "by_status": counts["status"],
        "by_regency": counts["regency"],
        "by_destination_country": counts["destination_country"],
    }


# helpers --------------------------------------------------------------------------------

def _is_id(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _locked(session: Session, worker_id: str | None) -> WorkerRow:
    worker = None
    if worker_id and _is_id(worker_id):
        worker = session.scalars(
            select(WorkerRow).where(WorkerRow.id == worker_id).with_for_update()
        ).first()
    if worker is None:
        raise NotFound(f"no worker {worker_id}")
    return worker


def _lifecycle(worker: WorkerRow, today: dt.date | None = None) -> Lifecycle:
    return Lifecycle(status=worker.status, documents_complete=worker.documents_complete,
                     documents_sequence=worker.documents_sequence,
                     orientation_completed=worker.orientation_completed,
                     bpjs_number=worker.bpjs_number,
                     documents_valid_until=worker.documents_valid_until, today=today)


def _store(uow: UnitOfWork, worker: WorkerRow, lifecycle: Lifecycle,
           cause: Event | None = None) -> None:
    worker.documents_complete = lifecycle.documents_complete
    worker.documents_sequence = lifecycle.documents_sequence
    worker.documents_valid_until = lifecycle.documents_valid_until
    worker.orientation_completed = lifecycle.orientation_completed
    worker.bpjs_number = lifecycle.bpjs_number
    worker.status, worker.stage = lifecycle.status, STAGE[lifecycle.status]
    _announce(uow, worker, lifecycle.changes, cause)


def _announce(uow: UnitOfWork, worker: WorkerRow, changes: list[StatusChange],
              cause: Event | None = None) -> None:
    """Publish each status change; the timeline names the event that caused it, if any."""
    details = ({"caused_by": {"event_id": cause.event_id, "event_type": cause.event_type,
                              "source": cause.source}} if cause else {})
    for change in changes:
        envelope = uow.publish(c.WORKER_STATUS_CHANGED, {
            "from_status": change.from_status, "to_status": change.to_status,
            "stage": change.stage, "reason": change.reason, "cycle": worker.cycle,
        }, worker_id=worker.id)
        _note(uow, worker, envelope, change=change, details=details)


def _note(uow: UnitOfWork, worker: WorkerRow, event: Event | dict,
          change: StatusChange | None = None, details: dict | None = None) -> None:
    """One timeline entry for an event (our own envelope, or another service's event)."""
    if isinstance(event, Event):
        entry = dict(event_type=event.event_type, source=event.source, event_id=event.event_id,
                     occurred_at=event.occurred_at, actor=event.actor,
                     correlation_id=event.correlation_id, details=_summary(event.data))
    else:
        entry = dict(event_type=event["event_type"], source=event["source"],
                     event_id=event["event_id"],
                     occurred_at=dt.datetime.fromisoformat(event["occurred_at"]),
                     actor=event["actor"], correlation_id=event["correlation_id"],
                     details=details or {})
    actor = entry.pop("actor") or {}
    uow.session.add(TimelineRow(
        worker_id=worker.id, cycle=worker.cycle,
        from_status=change.from_status if change else None,
        to_status=change.to_status if change else None,
        stage=change.stage if change else None,
        reason=change.reason if change else None,
        actor_role=actor.get("role"), actor_agency=actor.get("agency"),
        actor_subject=actor.get("subject"), **entry,
    ))


def _note_command(uow: UnitOfWork, worker: WorkerRow, what: str, now: dt.datetime,
                  details: dict) -> None:
    actor = uow.actor or {}
    uow.session.add(TimelineRow(
        worker_id=worker.id, cycle=worker.cycle, occurred_at=now, event_type=what,
        source=c.REGISTRATION, actor_role=actor.get("role"), actor_agency=actor.get("agency"),
        actor_subject=actor.get("subject"), correlation_id=uow.correlation_id, details=details,
    ))


_TIMELINE_FIELDS = ("document_type", "document_id", "reason", "session_id", "program_id",
                    "certificate_number", "participant_kind", "business_started",
                    "business_name", "sector", "regency", "awarded", "round", "advanced",
                    "score", "expired_on", "starts_at")


def _summary(data: dict) -> dict:
    return {key: (value.isoformat() if hasattr(value, "isoformat") else value)
            for key, value in data.items() if key in _TIMELINE_FIELDS}
