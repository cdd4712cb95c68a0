"""The orientation service's use cases: load, decide with the domain, store, publish.

Locks are always taken in the same order (worker, then session, then enrolment), so enrolments,
releases, cancellations and attendance running at once wait for each other but never deadlock.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import secrets
import uuid

import structlog
from sqlalchemy import select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pmi_common import contract as c
from pmi_common.errors import (
    CapacityReached,
    IdentityMismatch,
    InvalidInput,
    NotEligible,
    NotFound,
)
from pmi_common.events import Event
from pmi_common.identity import mask_nik, nik_digest
from pmi_common.store import Store, UnitOfWork
from pmi_common.validation import load

from .domain import (
    ATTENDED,
    CANCELLED,
    CHECK_IN_CLOSES,
    ENROLLED,
    NEW_CYCLE,
    NOT_ENROLLED,
    RELEASED,
    SCHEDULED,
    SESSION_CANCELLED,
    SessionSeats,
    Trainee,
    certificate_number,
    ensure_not_stopped,
    is_certificate_number,
    same_identity,
    stopped_until,
    wrong_nik_window_start,
)
from .models import CompletionRow, EnrolmentRow, IncidentRow, SessionRow, TraineeRow
from .schemas import (
    CancelSession,
    EnrolWorker,
    ListIncidents,
    ListSessions,
    RecordAttendance,
    ScheduleSession,
    SessionView,
)

IDENTITY_MISMATCH = "identity_mismatch"
NIK_ATTEMPTS_EXHAUSTED = "nik_attempts_exhausted"  # the trainer is stopped for the worker
session_view = SessionView()
log = structlog.get_logger(__name__)


# sessions -----------------------------------------------------------------------------------

def schedule_session(uow: UnitOfWork, payload: dict, now: dt.datetime) -> SessionRow:
    data = load(ScheduleSession(now=now), payload)
    row = SessionRow(id=str(uuid.uuid4()), starts_at=data["starts_at"].astimezone(dt.UTC),
                     location=data["location"].strip(), capacity=data["capacity"],
                     topics=[topic.strip() for topic in data["topics"]], enrolled=0,
                     status=SCHEDULED, created_at=now)
    uow.session.add(row)
    uow.session.flush()
    uow.publish(c.SESSION_SCHEDULED, {
        "session_id": row.id, "starts_at": row.starts_at, "location": row.location,
        "capacity": row.capacity, "topics": row.topics,
    }, stream_id=_stream(row.id))
    return row


def cancel_session(uow: UnitOfWork, session_id: str, payload: dict,
                   now: dt.datetime) -> SessionRow:
    data = load(CancelSession(), payload)
    row = _session(uow.session, session_id, lock=True)
    seats = _seats(row)
    seats.cancel(now)
    row.status, row.enrolled, row.cancelled_reason = seats.status, seats.enrolled, data["reason"]
    uow.publish(c.SESSION_CANCELLED, {"session_id": row.id, "reason": data["reason"]},
                stream_id=_stream(row.id))
    enrolments = uow.session.scalars(
        select(EnrolmentRow).where(EnrolmentRow.session_id == row.id,
                                   EnrolmentRow.status == ENROLLED)
        .order_by(EnrolmentRow.worker_id).with_for_update()
    ).all()
    for enrolment in enrolments:
        _mark_released(uow, enrolment, SESSION_CANCELLED, now)
    return row


def get_session(session: Session, session_id: str) -> SessionRow:
    return _session(session, session_id)


def list_sessions(session: Session, query: dict,
                  now: dt.datetime) -> tuple[list[SessionRow], str | None]:
    params = load(ListSessions(), query)
    stmt = select(SessionRow)
    if params["upcoming"]:
        stmt = stmt.where(SessionRow.status == SCHEDULED, SessionRow.starts_at > now,
                          SessionRow.enrolled < SessionRow.capacity)
    if params.get("cursor"):
        stmt = stmt.where(tuple_(SessionRow.starts_at, SessionRow.id)
                          > tuple_(*_read_cursor(params["cursor"])))
    limit = params["limit"]
    rows = list(session.scalars(stmt.order_by(SessionRow.starts_at, SessionRow.id)
                                .limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    return rows, (_cursor(rows[-1]) if more else None)


# enrolment ----------------------------------------------------------------------------------

def enrol_worker(uow: UnitOfWork, session_id: str, payload: dict,
                 now: dt.datetime) -> EnrolmentRow:
    data = load(EnrolWorker(), payload)
    worker_id = str(data["worker_id"])
    _session(uow.session, session_id)
    worker = _locked_trainee(uow.session, worker_id)
    row = _session(uow.session, session_id, lock=True)
    seats = _seats(row)
    seats.open_for_enrolment(now)
    trainee = _trainee(worker) if worker else Trainee(worker_id)
    held = _open_enrolments(uow.session, worker_id, now) if worker else []
    completed = _completion(uow.session, worker_id, trainee.cycle) if worker else None
    trainee.refusal(held[0].session_id if held else None,
                    completed.certificate_number if completed else None)
    try:
        seats.take_seat(now)
    except CapacityReached as full:
        raise CapacityReached(full.message, {
            **full.details, "next_session": _next_with_seats(uow.session, row.id, now),
        }) from full
    row.enrolled = SessionRow.enrolled + 1  # in SQL: the seats CHECK constraint backs the lock
    enrolment = uow.session.get(EnrolmentRow, (row.id, worker_id), with_for_update=True)
    if enrolment is None:
        enrolment = EnrolmentRow(session_id=row.id, worker_id=worker_id)
        uow.session.add(enrolment)
    enrolment.status, enrolment.enrolled_at = ENROLLED, now
    enrolment.released_at = enrolment.release_reason = None
    uow.session.flush()
    uow.publish(c.ORIENTATION_ENROLLED, {"session_id": row.id, "starts_at": row.starts_at},
                worker_id=worker_id)
    return enrolment


# attendance ---------------------------------------------------------------------------------

def record_attendance(db: Store, session_id: str, payload: dict,
                      now: dt.datetime) -> CompletionRow:
    """Completes the worker's orientation when the NIK presented is theirs. A mismatch is kept
    as an incident (committed) and then refused with ``IdentityMismatch``."""
    data = load(RecordAttendance(), payload)
    with db.transaction() as uow:
        outcome = _attend(uow, session_id, str(data["worker_id"]), data["nik"], now)
    if isinstance(outcome, IncidentRow):
        log.warning("orientation_identity_mismatch", incident_id=outcome.id, kind=outcome.kind,
                    session_id=outcome.session_id, worker_id=outcome.worker_id,
                    actor_subject=outcome.actor_subject)
        if outcome.kind == NIK_ATTEMPTS_EXHAUSTED:
            with db.read() as session:
                ensure_not_stopped(_wrong_niks(session, outcome.worker_id,
                                               outcome.actor_subject, now), now, outcome.id)
        raise IdentityMismatch(
            "the NIK presented is not the enrolled worker's; the incident is recorded",
            {"incident_id": outcome.id, "worker_id": outcome.worker_id},
        )
    return outcome


def _attend(uow: UnitOfWork, session_id: str, worker_id: str, nik: str,
            now: dt.datetime) -> CompletionRow | IncidentRow:
    _session(uow.session, session_id)
    worker = _locked_trainee(uow.session, worker_id)
    row = _session(uow.session, session_id, lock=True)
    enrolment = uow.session.get(EnrolmentRow, (row.id, worker_id), with_for_update=True)
    if worker is None or enrolment is None or enrolment.status == RELEASED:
        raise NotEligible("the worker is not enrolled in this session", {"reason": NOT_ENROLLED})
    _seats(row).check_in_open(now)
    trainer = (uow.actor or {}).get("subject")
    wrong = _wrong_niks(uow.session, worker_id, trainer, now)
    ensure_not_stopped(wrong, now)
    presented = nik_digest(nik)
    if not same_identity(worker.nik_digest, presented):
        incident = _incident(uow, row.id, worker_id, nik, presented, now)
        if stopped_until([*wrong, now]) is not None:  # that was the last wrong NIK allowed
            return _incident(uow, row.id, worker_id, nik, presented, now,
                             kind=NIK_ATTEMPTS_EXHAUSTED)
        return incident
    if enrolment.status == ATTENDED:
        return _completion(uow.session, worker_id, worker.cycle)
    enrolment.status, enrolment.attended_at = ATTENDED, now
    completion = CompletionRow(
        certificate_number=certificate_number(now.year, secrets.token_bytes(8)),
        worker_id=worker_id, cycle=worker.cycle, session_id=row.id,
        holder_name=worker.full_name, completed_at=now,
    )
    uow.session.add(completion)
    uow.session.flush()
    uow.publish(c.ORIENTATION_COMPLETED, {
        "session_id": row.id, "certificate_number": completion.certificate_number,
        "completed_at": now,
    }, worker_id=worker_id)
    return completion


def _wrong_niks(session: Session, worker_id: str, trainer: str | None,
                now: dt.datetime) -> list[dt.datetime]:
    """When this trainer presented a wrong NIK for this worker, within the window."""
    by = IncidentRow.actor_subject == trainer if trainer else IncidentRow.actor_subject.is_(None)
    return list(session.scalars(select(IncidentRow.occurred_at).where(
        IncidentRow.worker_id == worker_id, IncidentRow.kind == IDENTITY_MISMATCH, by,
        IncidentRow.occurred_at > wrong_nik_window_start(now))))


def _incident(uow: UnitOfWork, session_id: str, worker_id: str, nik: str, digest: str,
              now: dt.datetime, kind: str = IDENTITY_MISMATCH) -> IncidentRow:
    actor = uow.actor or {}
    incident = IncidentRow(kind=kind, session_id=session_id, worker_id=worker_id,
                           occurred_at=now, presented_nik_masked=mask_nik(nik),
                           presented_digest_prefix=digest[:12], actor_role=actor.get("role"),
                           actor_subject=actor.get("subject"),
                           correlation_id=uow.correlation_id)
    uow.session.add(incident)
    uow.session.flush()
    return incident


# certificates and incidents -----------------------------------------------------------------

def verify_certificate(session: Session, number: str) -> dict:
    """What anyone may learn from a certificate number: whether it is valid and for whom."""
    number = number.strip().upper() if isinstance(number, str) else ""
    completion = session.get(CompletionRow, number) if is_certificate_number(number) else None
    if completion is None:
        return {"valid": False, "certificate_number": number}
    held_at = session.get(SessionRow, completion.session_id)
    return {
        "valid": True,
        "certificate_number": completion.certificate_number,
        "holder_name": completion.holder_name,
        "worker_id": completion.worker_id,
        "session": {"id": held_at.id, "starts_at": held_at.starts_at.isoformat(),
                    "location": held_at.location},
        "completed_at": completion.completed_at.isoformat(),
    }


def list_incidents(session: Session, query: dict) -> tuple[list[IncidentRow], int | None]:
    params = load(ListIncidents(), query)
    stmt = select(IncidentRow)
    for column in ("session_id", "worker_id"):
        if params.get(column):
            stmt = stmt.where(getattr(IncidentRow, column) == params[column])
    if params.get("cursor"):
        stmt = stmt.where(IncidentRow.id < params["cursor"])
    limit = params["limit"]
    rows = list(session.scalars(stmt.order_by(IncidentRow.id.desc()).limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    return rows, (rows[-1].id if more else None)


# events from the other services -------------------------------------------------------------

def worker_registered(uow: UnitOfWork, event: Event, now: dt.datetime) -> None:
    """The worker exists (again, for a new cycle): who they are, as of their latest cycle."""
    data = event.data
    worker = _upserted_trainee(uow.session, event.worker_id, now)
    if data["cycle"] >= worker.cycle:
        worker.registered, worker.nik_digest = True, data["nik_digest"]
        worker.full_name = data["full_name"]
    trainee = _trainee(worker)
    new_cycle = trainee.registration_changed(data["cycle"], event.sequence, "registered")
    _settle(uow, worker, trainee, now, NEW_CYCLE if new_cycle else None)


def worker_status_changed(uow: UnitOfWork, event: Event, now: dt.datetime) -> None:
    data = event.data
    worker = _upserted_trainee(uow.session, event.worker_id, now)
    trainee = _trainee(worker)
    new_cycle = trainee.registration_changed(data["cycle"], event.sequence, data["to_status"])
    _settle(uow, worker, trainee, now, NEW_CYCLE if new_cycle else None)


def documents_changed(uow: UnitOfWork, event: Event, now: dt.datetime) -> None:
    """The documents service's checklist for the worker, kept by the latest of its events;
    recorded even before the worker's registration reaches this service."""
    complete = event.event_type == c.DOCUMENTS_COMPLETED or event.data["checklist_complete"]
    worker = _upserted_trainee(uow.session, event.worker_id, now)
    trainee = _trainee(worker)
    trainee.documents_changed(complete, event.sequence)
    _settle(uow, worker, trainee, now)


def _settle(uow: UnitOfWork, worker: TraineeRow, trainee: Trainee, now: dt.datetime,
            release: str | None = None) -> None:
    """Store what the worker now is, and give back the seat they may no longer hold (any seat
    of a previous cycle, whatever order the events of its end arrive in)."""
    worker.cycle, worker.status = trainee.cycle, trainee.status
    worker.status_sequence = trainee.status_sequence
    worker.documents_complete = trainee.documents_complete
    worker.documents_sequence = trainee.documents_sequence
    worker.updated_at = now
    reason = release or trainee.seat_lost_reason()
    if reason is None:
        return
    for enrolment in _open_enrolments(uow.session, worker.id, now):
        row = _session(uow.session, enrolment.session_id, lock=True)
        uow.session.refresh(enrolment, with_for_update=True)
        if enrolment.status != ENROLLED or row.status == CANCELLED:
            continue
        row.enrolled = SessionRow.enrolled - 1
        _mark_released(uow, enrolment, reason, now)


# helpers ------------------------------------------------------------------------------------

def _mark_released(uow: UnitOfWork, enrolment: EnrolmentRow, reason: str,
                   now: dt.datetime) -> None:
    enrolment.status, enrolment.released_at, enrolment.release_reason = RELEASED, now, reason
    uow.publish(c.ORIENTATION_RELEASED, {"session_id": enrolment.session_id, "reason": reason},
                worker_id=enrolment.worker_id)


def _stream(session_id: str) -> str:
    return f"session:{session_id}"


def _is_id(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _session(session: Session, session_id: str, lock: bool = False) -> SessionRow:
    row = None
    if _is_id(session_id):
        stmt = select(SessionRow).where(SessionRow.id == str(session_id))
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        row = session.scalars(stmt).first()
    if row is None:
        raise NotFound(f"no orientation session {session_id}")
    return row


def _seats(row: SessionRow) -> SessionSeats:
    return SessionSeats(starts_at=row.starts_at, capacity=row.capacity, enrolled=row.enrolled,
                        status=row.status)


def _trainee(row: TraineeRow) -> Trainee:
    return Trainee(worker_id=row.id, registered=row.registered, cycle=row.cycle,
                   status=row.status, status_sequence=row.status_sequence,
                   documents_complete=row.documents_complete,
                   documents_sequence=row.documents_sequence)


def _locked_trainee(session: Session, worker_id: str) -> TraineeRow | None:
    return session.scalars(select(TraineeRow).where(TraineeRow.id == worker_id)
                           .with_for_update()).first()


def _upserted_trainee(session: Session, worker_id: str | None, now: dt.datetime) -> TraineeRow:
    """The worker's row, created if this is the first word about them, and locked."""
    if not _is_id(worker_id):
        raise InvalidInput("the event names no worker", {"worker_id": ["must be a worker id"]})
    insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(TraineeRow).values(
        id=worker_id, registered=False, cycle=0, status_sequence=0, documents_complete=False,
        documents_sequence=0, updated_at=now,
    ).on_conflict_do_nothing(index_elements=[TraineeRow.id]))
    return session.scalars(select(TraineeRow).where(TraineeRow.id == worker_id)
                           .with_for_update().execution_options(populate_existing=True)).one()


def _open_enrolments(session: Session, worker_id: str, now: dt.datetime) -> list[EnrolmentRow]:
    """The worker's enrolments that still hold a seat: session not cancelled, check-in open."""
    return list(session.scalars(
        select(EnrolmentRow).join(SessionRow, SessionRow.id == EnrolmentRow.session_id)
        .where(EnrolmentRow.worker_id == worker_id, EnrolmentRow.status == ENROLLED,
               SessionRow.status == SCHEDULED, SessionRow.starts_at > now - CHECK_IN_CLOSES)
        .order_by(SessionRow.starts_at, SessionRow.id)
    ))


def _completion(session: Session, worker_id: str, cycle: int) -> CompletionRow | None:
    return session.scalars(select(CompletionRow).where(
        CompletionRow.worker_id == worker_id, CompletionRow.cycle == cycle)).first()


def _next_with_seats(session: Session, excluding: str, now: dt.datetime) -> dict | None:
    row = session.scalars(
        select(SessionRow).where(SessionRow.status == SCHEDULED, SessionRow.starts_at > now,
                                 SessionRow.enrolled < SessionRow.capacity,
                                 SessionRow.id != excluding)
        .order_by(SessionRow.starts_at, SessionRow.id).limit(1)
    ).first()
    return session_view.dump(row) if row else None


def _cursor(row: SessionRow) -> str:
    raw = f"{row.starts_at.isoformat()}|{row.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(cursor: str) -> tuple[dt.datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, session_id = raw.split("|")
        starts_at = dt.datetime.fromisoformat(at)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("the cursor is not one this list gave",
                           {"cursor": ["is not a cursor of this list"]}) from exc
    if starts_at.tzinfo is None or not _is_id(session_id):
        raise InvalidInput("the cursor is not one this list gave",
                           {"cursor": ["is not a cursor of this list"]})
    return starts_at, session_id
