"""The orientation service's handlers: load the input, decide with the domain, store through the
unit of work's repository, publish through its outbox. The tables at the bottom list them all.

Every handler takes its locks in the repository's order: worker, then sitting, then enrolment.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import TYPE_CHECKING

import structlog

from pmi_common import contract as c
from pmi_common.errors import CapacityReached, InvalidInput, NotFound
from pmi_common.events import Event
from pmi_common.identity import initials, mask_nik, nik_digest
from pmi_common.store import is_id
from pmi_common.unit_of_work import UnitOfWork
from pmi_common.validation import load

from .domain import (
    IDENTITY_MISMATCH,
    NEW_CYCLE,
    NIK_ATTEMPTS_EXHAUSTED,
    SESSION_CANCELLED,
    Completion,
    Enrolment,
    Incident,
    Sitting,
    Trainee,
    WrongNik,
    certificate_number,
    ensure_enrolled,
    ensure_not_stopped,
    is_certificate_number,
    refuse_wrong_nik,
    same_identity,
    stopped_until,
    ticket_code,
    wrong_nik_window_start,
)
from .schemas import (
    CancelSession,
    EnrolWorker,
    ListIncidents,
    ListSessions,
    RecordAttendance,
    ScheduleSession,
    SessionView,
)

if TYPE_CHECKING:
    from .repository import OrientationRepository

    Uow = UnitOfWork[OrientationRepository]

session_view = SessionView()
log = structlog.get_logger(__name__)


# commands -----------------------------------------------------------------------------------


def schedule_sitting(uow: Uow, payload: dict, now: dt.datetime) -> Sitting:
    data = load(ScheduleSession(now=now), payload)
    sitting = Sitting(
        id=str(uuid.uuid4()),
        starts_at=data["starts_at"].astimezone(dt.UTC),
        location=data["location"].strip(),
        capacity=data["capacity"],
        topics=[topic.strip() for topic in data["topics"]],
        created_at=now,
    )
    uow.repository.add_sitting(sitting)
    uow.publish(
        c.SESSION_SCHEDULED,
        {
            "session_id": sitting.id,
            "starts_at": sitting.starts_at,
            "location": sitting.location,
            "capacity": sitting.capacity,
            "topics": sitting.topics,
        },
        stream_id=_stream(sitting.id),
    )
    return sitting


def cancel_sitting(uow: Uow, sitting_id: str, payload: dict, now: dt.datetime) -> Sitting:
    """Cancel a sitting that has not started; every seat taken in it is released."""
    data = load(CancelSession(), payload)
    sitting = _sitting(uow.repository.lock_sitting(sitting_id), sitting_id)
    sitting.cancel(now, data["reason"])
    uow.publish(
        c.SESSION_CANCELLED,
        {"session_id": sitting.id, "reason": data["reason"]},
        stream_id=_stream(sitting.id),
    )
    for enrolment in uow.repository.lock_enrolled_in(sitting.id):
        enrolment.release(SESSION_CANCELLED, now)
        _announce_release(uow, enrolment)
    return sitting


def enrol_worker(uow: Uow, sitting_id: str, payload: dict, now: dt.datetime) -> Enrolment:
    """Give the worker a seat, when they may take one and one is left."""
    data = load(EnrolWorker(), payload)
    worker_id, repository = str(data["worker_id"]), uow.repository
    _sitting(repository.get_sitting(sitting_id), sitting_id)  # unknown: refused before locking
    trainee = repository.lock_trainee(worker_id)
    sitting = _sitting(repository.lock_sitting(sitting_id), sitting_id)
    sitting.open_for_enrolment(now)
    held = repository.seats_held(worker_id, now) if trainee else []
    completion = repository.completion_of(worker_id, trainee.cycle) if trainee else None
    (trainee or Trainee(worker_id=worker_id)).refusal(
        held[0].sitting_id if held else None, completion.certificate_number if completion else None
    )
    try:
        sitting.take_seat(now)
    except CapacityReached as full:
        later = repository.next_sitting_with_seats(now, excluding=sitting.id)
        raise CapacityReached(
            full.message,
            {
                **full.details,
                "next_session": session_view.dump(later) if later else None,
            },
        ) from full
    enrolment = repository.lock_enrolment(sitting.id, worker_id)
    ticket = ticket_code(secrets.token_bytes(8))
    if enrolment is None:
        enrolment = Enrolment(
            sitting_id=sitting.id, worker_id=worker_id, enrolled_at=now, ticket=ticket
        )
        repository.add_enrolment(enrolment)
    else:
        enrolment.renew(now, ticket)
    uow.publish(
        c.ORIENTATION_ENROLLED,
        {"session_id": sitting.id, "starts_at": sitting.starts_at},
        worker_id=worker_id,
    )
    return enrolment


def record_attendance(
    uow: Uow, sitting_id: str, payload: dict, now: dt.datetime
) -> Completion | WrongNik | None:
    """Complete the worker's orientation when the NIK presented is theirs. A wrong NIK is
    recorded as an incident and returned (``WrongNik``), so that it commits: the caller refuses
    it afterwards with ``answer_attendance``."""
    data = load(RecordAttendance(), payload)
    repository = uow.repository
    _sitting(repository.get_sitting(sitting_id), sitting_id)
    worker_id = _holder(repository, sitting_id, data)
    trainee = repository.lock_trainee(worker_id)
    sitting = _sitting(repository.lock_sitting(sitting_id), sitting_id)
    enrolment = repository.lock_enrolment(sitting.id, worker_id)
    enrolment = ensure_enrolled(enrolment if trainee else None)
    assert trainee is not None  # not enrolled otherwise: refused above
    sitting.check_in_open(now)
    trainer = (uow.actor or {}).get("subject")
    wrong = repository.wrong_niks(worker_id, trainer, wrong_nik_window_start(now))
    ensure_not_stopped(wrong, now)
    presented = nik_digest(data["nik"])
    if not same_identity(trainee.nik_digest, presented):
        incident = _record_incident(
            uow, IDENTITY_MISMATCH, sitting.id, worker_id, data["nik"], presented, now
        )
        until = stopped_until([*wrong, now])
        if until is not None:  # that was the last wrong NIK allowed
            incident = _record_incident(
                uow, NIK_ATTEMPTS_EXHAUSTED, sitting.id, worker_id, data["nik"], presented, now
            )
        return WrongNik(incident=incident, wrong_niks=len(wrong) + 1, stopped_until=until)
    if not enrolment.attend(now):
        return repository.completion_of(worker_id, trainee.cycle)
    completion = Completion(
        certificate_number=certificate_number(now.year, secrets.token_bytes(8)),
        worker_id=worker_id,
        cycle=trainee.cycle,
        sitting_id=sitting.id,
        holder_name=trainee.full_name,
        completed_at=now,
    )
    repository.add_completion(completion)
    uow.publish(
        c.ORIENTATION_COMPLETED,
        {
            "session_id": sitting.id,
            "certificate_number": completion.certificate_number,
            "completed_at": now,
        },
        worker_id=worker_id,
    )
    return completion


def _holder(repository: OrientationRepository, sitting_id: str, data: dict) -> str:
    """The worker checking in: named, or found by the ticket she shows (one of another sitting,
    or none at all, is not a seat here)."""
    if "worker_id" in data:
        return str(data["worker_id"])
    worker_id = repository.ticket_holder(sitting_id, data["ticket"])
    if worker_id is None:
        ensure_enrolled(None)
    return str(worker_id)


def wrong_nik_answer(wrong: WrongNik) -> dict:
    """What a committed wrong NIK answers (kept with a keyed command's answer)."""
    incident = wrong.incident
    return {
        "incident": {
            "id": incident.id,
            "kind": incident.kind,
            "session_id": incident.sitting_id,
            "worker_id": incident.worker_id,
            "actor_subject": incident.actor_subject,
            "wrong_niks": wrong.wrong_niks,
            "stopped_until": wrong.stopped_until.isoformat() if wrong.stopped_until else None,
        }
    }


def answer_attendance(answer: dict, now: dt.datetime) -> dict:
    """The answer of a committed ``record_attendance``: the completion as it is, or the refusal
    of the wrong NIK it recorded (``IdentityMismatch``, or ``TooManyAttempts`` while the trainer
    is stopped: until when is decided at ``now``, so a keyed retry is told the time left)."""
    incident = answer.get("incident") if isinstance(answer, dict) else None
    if not incident:
        return answer
    log.warning(
        "orientation_identity_mismatch",
        incident_id=incident["id"],
        kind=incident["kind"],
        session_id=incident["session_id"],
        worker_id=incident["worker_id"],
        actor_subject=incident["actor_subject"],
    )
    until = incident.get("stopped_until")
    refuse_wrong_nik(
        incident["id"],
        incident["worker_id"],
        dt.datetime.fromisoformat(until) if until else None,
        incident.get("wrong_niks", 0),
        now,
    )


# queries ------------------------------------------------------------------------------------


def get_sitting(repository: OrientationRepository, sitting_id: str) -> Sitting:
    return _sitting(repository.get_sitting(sitting_id), sitting_id)


def list_sittings(
    repository: OrientationRepository, query: dict, now: dt.datetime
) -> tuple[list[Sitting], str | None]:
    params = load(ListSessions(), query)
    return repository.sittings_page(
        params["limit"], params.get("cursor"), upcoming_at=now if params["upcoming"] else None
    )


def verify_certificate(repository: OrientationRepository, number: str) -> dict:
    """What anyone may learn from a certificate number: whether it is valid, when and where it
    was earned, and the holder's initials (to be matched with the person who shows it; never her
    full name nor her id: the number is public, printed and photographed)."""
    number = number.strip().upper() if isinstance(number, str) else ""
    completion = repository.get_completion(number) if is_certificate_number(number) else None
    if completion is None:
        return {"valid": False, "certificate_number": number}
    held_at = _sitting(repository.get_sitting(completion.sitting_id), completion.sitting_id)
    return {
        "valid": True,
        "certificate_number": completion.certificate_number,
        "holder_initials": initials(completion.holder_name or ""),
        "session": {
            "id": held_at.id,
            "starts_at": held_at.starts_at.isoformat(),
            "location": held_at.location,
        },
        "completed_at": completion.completed_at.isoformat(),
    }


def worker_orientation(
    repository: OrientationRepository, worker_id: str, now: dt.datetime
) -> tuple[dict | None, Completion | None, Sitting | None]:
    """What the worker's app shows of her orientation: the seat she holds (with its sitting and
    ticket), and her latest certificate with the sitting it was earned at."""
    held = repository.seats_held(worker_id, now) if is_id(worker_id) else []
    seat = None
    if held:
        enrolment = held[0]
        seat = {
            "sitting": repository.get_sitting(enrolment.sitting_id),
            "status": enrolment.status,
            "enrolled_at": enrolment.enrolled_at,
            "ticket": enrolment.ticket,
        }
    completion = repository.latest_completion(worker_id) if is_id(worker_id) else None
    earned_at = repository.get_sitting(completion.sitting_id) if completion else None
    return seat, completion, earned_at


def list_incidents(
    repository: OrientationRepository, query: dict
) -> tuple[list[Incident], str | None]:
    params = load(ListIncidents(), query)
    return repository.incidents_page(
        params["limit"],
        params.get("cursor"),
        sitting_id=params.get("session_id"),
        worker_id=params.get("worker_id"),
    )


def knows_worker(repository: OrientationRepository, worker_id: str) -> bool:
    """Whether registration's word about the worker has reached this service."""
    return repository.knows_worker(worker_id)


# events from the other services -------------------------------------------------------------


def on_worker_registered(uow: Uow, event: Event, now: dt.datetime) -> None:
    """The worker exists (again, for a new cycle), with the digest of their NIK to check at
    attendance; a new cycle gives back any seat of the previous one."""
    data = event.data
    trainee = _heard_of(uow, event, now)
    new_cycle = trainee.registration_heard(
        data["cycle"], event.sequence, data["nik_digest"], data["full_name"]
    )
    _settle(uow, trainee, now, NEW_CYCLE if new_cycle else None)


def on_worker_status_changed(uow: Uow, event: Event, now: dt.datetime) -> None:
    """A withdrawn, departed or deceased worker gives back any seat they hold."""
    data = event.data
    trainee = _heard_of(uow, event, now)
    new_cycle = trainee.learn(data["cycle"], event.sequence, data["to_status"])
    _settle(uow, trainee, now, NEW_CYCLE if new_cycle else None)


def on_documents_changed(uow: Uow, event: Event, now: dt.datetime) -> None:
    """The documents service's checklist for the worker, kept by the latest of its events;
    recorded even before the worker's registration reaches this service. A seat is lost when
    it stops being complete."""
    complete = event.event_type == c.DOCUMENTS_COMPLETED or event.data["checklist_complete"]
    trainee = _heard_of(uow, event, now)
    trainee.documents_changed(complete, event.sequence)
    _settle(uow, trainee, now)


# helpers ------------------------------------------------------------------------------------


def _stream(sitting_id: str) -> str:
    return f"session:{sitting_id}"


def _sitting(sitting: Sitting | None, sitting_id: str) -> Sitting:
    if sitting is None:
        raise NotFound(f"no orientation session {sitting_id}")
    return sitting


def _heard_of(uow: Uow, event: Event, now: dt.datetime) -> Trainee:
    worker_id = event.worker_id
    if worker_id is None or not is_id(worker_id):
        raise InvalidInput("the event names no worker", {"worker_id": ["must be a worker id"]})
    return uow.repository.lock_trainee_heard_of(worker_id, now)


def _settle(uow: Uow, trainee: Trainee, now: dt.datetime, release: str | None = None) -> None:
    """Give back the seats the worker may no longer hold (any seat of a previous cycle,
    whatever order the events of its end arrive in)."""
    trainee.updated_at = now
    reason = release or trainee.seat_lost_reason()
    if reason is None:
        return
    repository = uow.repository
    for held in repository.seats_held(trainee.worker_id, now):
        sitting = _sitting(repository.lock_sitting(held.sitting_id), held.sitting_id)
        enrolment = repository.lock_enrolment(held.sitting_id, trainee.worker_id)
        assert enrolment is not None  # the seat held is this enrolment
        if sitting.give_back(enrolment, reason, now):
            _announce_release(uow, enrolment)


def _announce_release(uow: Uow, enrolment: Enrolment) -> None:
    uow.publish(
        c.ORIENTATION_RELEASED,
        {"session_id": enrolment.sitting_id, "reason": enrolment.release_reason},
        worker_id=enrolment.worker_id,
    )


def _record_incident(
    uow: Uow, kind: str, sitting_id: str, worker_id: str, nik: str, digest: str, now: dt.datetime
) -> Incident:
    actor = uow.actor or {}
    incident = Incident(
        kind=kind,
        sitting_id=sitting_id,
        worker_id=worker_id,
        occurred_at=now,
        presented_nik_masked=mask_nik(nik),
        presented_digest_prefix=digest[:12],
        actor_role=actor.get("role"),
        actor_subject=actor.get("subject"),
        correlation_id=getattr(uow, "correlation_id", None),
    )
    uow.repository.add_incident(incident)
    return incident


# The service's handlers: commands and queries by the RPC name the gateway calls (the API's
# "session" is a sitting here), events by type.
COMMANDS = {
    "schedule_session": schedule_sitting,
    "cancel_session": cancel_sitting,
    "enrol_worker": enrol_worker,
    "record_attendance": record_attendance,
}
QUERIES = {
    "get_session": get_sitting,
    "list_sessions": list_sittings,
    "verify_certificate": verify_certificate,
    "list_incidents": list_incidents,
    "knows_worker": knows_worker,
}
EVENTS = {
    c.WORKER_REGISTERED: on_worker_registered,
    c.WORKER_STATUS_CHANGED: on_worker_status_changed,
    c.DOCUMENT_SUBMITTED: on_documents_changed,
    c.DOCUMENT_VERIFIED: on_documents_changed,
    c.DOCUMENT_REJECTED: on_documents_changed,
    c.DOCUMENT_EXPIRED: on_documents_changed,
    c.DOCUMENTS_COMPLETED: on_documents_changed,
}
