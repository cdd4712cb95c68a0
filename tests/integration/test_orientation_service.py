"""The orientation service on the real broker and database: sessions, eligibility kept from the
registration and documents events, seats, the identity check at attendance, certificates."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import partial

import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import create_engine, text

from pmi_common import contract as c
from pmi_common.clock import FixedClock
from pmi_common.errors import (
    CapacityReached,
    IdentityMismatch,
    InvalidInput,
    NotEligible,
    NotFound,
    TooManyAttempts,
    TransitionRefused,
)
from pmi_common.fields import TICKET
from pmi_common.identity import mask_nik, nik_digest
from services.orientation.service import OrientationService
from tests.events import REGISTERED_V2, envelope, publish
from tests.helpers import Subscriber, wait_for, worker_payload

NOW = dt.datetime(2030, 3, 4, 1, 0, tzinfo=dt.UTC)


# fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture
def clock():
    return FixedClock(NOW)


def start_orientation(container_factory, config, clock):
    container = container_factory(OrientationService, config)
    next(d for d in container.dependencies if d.attr_name == "clock").clock = clock
    container.start()
    return container


@pytest.fixture
def orientation(container_factory, config_for, clock):
    return start_orientation(container_factory, config_for("orientation"), clock)


@pytest.fixture
def db(database_urls):
    engine = create_engine(database_urls["orientation"])
    yield engine
    engine.dispose()


@pytest.fixture
def agency(rabbit_config):
    subscriber = Subscriber(rabbit_config["AMQP_URI"], c.exchange_name(c.ORIENTATION))
    yield subscriber
    subscriber.close()


@pytest.fixture
def amqp(rabbit_config):
    return rabbit_config["AMQP_URI"]


def call(container, method, *args, actor=None):
    with entrypoint_hook(container, method, context_data=actor) as hook:
        return hook(*args)


def scalar(db, sql: str, **params):
    with db.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def send(amqp, db, *bodies) -> None:
    """Publish events as their sources would, and wait until orientation has applied them all."""
    for body in bodies:
        publish(amqp, body)
    ids = [body["event_id"] for body in bodies]
    wait_for(
        lambda: (
            scalar(db, "SELECT count(*) FROM inbox WHERE event_id = ANY(:ids)", ids=ids) == len(ids)
        ),
        message=f"orientation to apply {len(ids)}",
    )


def registered(worker_id: str, nik: str, cycle: int = 1, sequence: int = 1) -> dict:
    return envelope(
        c.WORKER_REGISTERED,
        worker_id,
        {
            "nik_masked": mask_nik(nik),
            "nik_digest": nik_digest(nik),
            "full_name": "Siti Nur'aini binti Ahmad",
            "sex": "F",
            "regency": "Blitar",
            "destination_country": "HK",
            "occupation": "caregiver",
            "placement_agency": "PT Sinar Jaya",
            "cycle": cycle,
            **REGISTERED_V2,
        },
        sequence=sequence,
    )


def status_changed(worker_id: str, to_status: str, sequence: int, cycle: int = 1) -> dict:
    return envelope(
        c.WORKER_STATUS_CHANGED,
        worker_id,
        {
            "from_status": "documents_verified",
            "to_status": to_status,
            "stage": "pre_departure",
            "reason": to_status,
            "cycle": cycle,
        },
        sequence=sequence,
    )


def documents_completed(worker_id: str, sequence: int) -> dict:
    return envelope(
        c.DOCUMENTS_COMPLETED,
        worker_id,
        {"document_ids": ["d1"], "earliest_expiry": None},
        sequence=sequence,
    )


def document_event(event_type: str, worker_id: str, sequence: int, complete: bool) -> dict:
    extra = {
        c.DOCUMENT_REJECTED: {"reason": "blurred"},
        c.DOCUMENT_EXPIRED: {"expired_on": "2030-03-01"},
        c.DOCUMENT_VERIFIED: {"expires_on": None},
    }[event_type]
    return envelope(
        event_type,
        worker_id,
        {"document_id": "d2", "document_type": "passport", "checklist_complete": complete, **extra},
        sequence=sequence,
    )


def eligible_workers(amqp, db, count: int = 1) -> list[tuple[str, str]]:
    """Workers registered with every document verified, as (worker_id, nik)."""
    workers = [(str(uuid.uuid4()), worker_payload()["nik"]) for _ in range(count)]
    send(
        amqp,
        db,
        *[
            body
            for worker_id, nik in workers
            for body in (registered(worker_id, nik), documents_completed(worker_id, 5))
        ],
    )
    return workers


def schedule(container, days: float = 3, capacity: int = 20, **extra) -> dict:
    return call(
        container,
        "schedule_session",
        {
            "starts_at": (NOW + dt.timedelta(days=days)).isoformat(),
            "location": "LTSA PMI Kabupaten Blitar, ruang 2",
            "capacity": capacity,
            "topics": ["rights under UU 18/2017", "the placement contract"],
            **extra,
        },
    )


def enrol(container, session: dict, worker_id: str) -> dict:
    return call(container, "enrol_worker", session["id"], {"worker_id": worker_id})


def published(agency, event_type: str, count: int = 1) -> list[dict]:
    events = agency.wait_for(
        lambda msgs: len([m for m in msgs if m["event_type"] == event_type]) >= count
    )
    return [e for e in events if e["event_type"] == event_type]


def refusal(exc_type, container, method, *args) -> dict:
    with pytest.raises(exc_type) as refused:
        call(container, method, *args)
    return refused.value.details


# sessions -----------------------------------------------------------------------------------


def test_a_scheduled_session_is_listed_with_its_seats_and_announced(orientation, agency):
    session = schedule(orientation, capacity=30)
    in_jakarta = schedule(orientation, starts_at="2030-03-10T09:00:00+07:00")

    assert in_jakarta["starts_at"] == "2030-03-10T02:00:00+00:00"
    assert session["status"] == "scheduled" and session["seats_left"] == 30
    assert session["enrolled"] == 0 and session["cancelled_reason"] is None
    listed = call(orientation, "list_sessions", {})
    assert [s["id"] for s in listed["items"]] == [session["id"], in_jakarta["id"]]
    assert call(orientation, "get_session", session["id"]) == session
    assert call(orientation, "get_session", in_jakarta["id"]) == in_jakarta
    [announced, _] = published(agency, c.SESSION_SCHEDULED, count=2)
    assert announced["worker_id"] is None and announced["sequence"] == 1
    assert announced["data"]["session_id"] == session["id"]
    assert announced["data"]["capacity"] == 30


def test_sessions_are_paged_in_order_of_their_start(orientation):
    ids = [schedule(orientation, days=day)["id"] for day in (5, 2, 9)]
    first = call(orientation, "list_sessions", {"limit": 2})
    second = call(orientation, "list_sessions", {"limit": 2, "cursor": first["next_cursor"]})
    assert [s["id"] for s in first["items"] + second["items"]] == [ids[1], ids[0], ids[2]]
    assert second["next_cursor"] is None
    with pytest.raises(InvalidInput) as refused:
        call(orientation, "list_sessions", {"cursor": "not-a-cursor"})
    assert "cursor" in refused.value.details


def test_an_invalid_session_names_each_field_and_changes_nothing(orientation, db):
    details = refusal(
        InvalidInput,
        orientation,
        "schedule_session",
        {
            "starts_at": (NOW - dt.timedelta(hours=1)).isoformat(),
            "location": " ",
            "capacity": 501,
            "topics": "everything",
        },
    )
    assert set(details) == {"starts_at", "location", "capacity", "topics"}
    details = refusal(
        InvalidInput,
        orientation,
        "schedule_session",
        {"starts_at": "2030-03-10T09:00:00", "location": "LTSA", "capacity": 0},
    )
    assert set(details) == {"starts_at", "capacity"}
    assert scalar(db, "SELECT count(*) FROM sessions") == 0
    assert scalar(db, "SELECT count(*) FROM outbox") == 0
    refusal(NotFound, orientation, "get_session", str(uuid.uuid4()))
    refusal(NotFound, orientation, "get_session", "../etc")


def test_past_sessions_take_no_enrolments(orientation, amqp, db, clock):
    [(worker_id, _nik)] = eligible_workers(amqp, db)
    session = schedule(orientation, days=1)
    clock.advance(days=1)

    details = refusal(
        TransitionRefused, orientation, "enrol_worker", session["id"], {"worker_id": worker_id}
    )
    assert "starts_at" in details
    assert call(orientation, "list_sessions", {})["items"] == []
    assert len(call(orientation, "list_sessions", {"upcoming": False})["items"]) == 1


def test_cancelling_a_session_releases_its_workers_and_tells_them(orientation, amqp, db, agency):
    [(worker_id, _nik)] = eligible_workers(amqp, db)
    session = schedule(orientation)
    enrol(orientation, session, worker_id)
    refusal(InvalidInput, orientation, "cancel_session", session["id"], {})

    cancelled = call(orientation, "cancel_session", session["id"], {"reason": "hall flooded"})

    assert cancelled["status"] == "cancelled" and cancelled["cancelled_reason"] == "hall flooded"
    assert cancelled["seats_left"] == 0
    [released] = published(agency, c.ORIENTATION_RELEASED)
    assert released["worker_id"] == worker_id
    assert released["data"] == {"session_id": session["id"], "reason": "session_cancelled"}
    [announced] = published(agency, c.SESSION_CANCELLED)
    assert announced["sequence"] == 2 and announced["worker_id"] is None
    refusal(TransitionRefused, orientation, "enrol_worker", session["id"], {"worker_id": worker_id})
    refusal(TransitionRefused, orientation, "cancel_session", session["id"], {"reason": "again"})
    enrol(orientation, schedule(orientation, days=4), worker_id)  # free to take another seat


# eligibility --------------------------------------------------------------------------------


def test_enrolment_refused_until_documents_verified(orientation, amqp, db, agency):
    worker_id, nik = str(uuid.uuid4()), worker_payload()["nik"]
    session = schedule(orientation)
    assert (
        refusal(NotEligible, orientation, "enrol_worker", session["id"], {"worker_id": worker_id})[
            "reason"
        ]
        == "not_registered"
    )
    send(amqp, db, registered(worker_id, nik))
    assert (
        refusal(NotEligible, orientation, "enrol_worker", session["id"], {"worker_id": worker_id})[
            "reason"
        ]
        == "documents_not_verified"
    )

    send(amqp, db, documents_completed(worker_id, sequence=8))
    enrolment = enrol(orientation, session, worker_id)

    ticket = enrolment.pop("ticket")
    assert enrolment == {
        "session_id": session["id"],
        "worker_id": worker_id,
        "status": "enrolled",
        "enrolled_at": NOW.isoformat(),
    }
    TICKET(ticket)  # an opaque code: no id, no name
    assert call(orientation, "worker_orientation", worker_id)["seat"]["ticket"] == ticket
    assert call(orientation, "get_session", session["id"])["seats_left"] == 19
    [enrolled] = published(agency, c.ORIENTATION_ENROLLED)
    assert enrolled["worker_id"] == worker_id and enrolled["data"]["session_id"] == session["id"]


def test_documents_events_before_the_registration_and_out_of_order_are_harmless(
    orientation, amqp, db
):
    worker_id, nik = str(uuid.uuid4()), worker_payload()["nik"]
    session = schedule(orientation)
    send(amqp, db, documents_completed(worker_id, sequence=7))  # before worker_registered
    send(amqp, db, document_event(c.DOCUMENT_REJECTED, worker_id, 3, complete=False))  # stale
    send(amqp, db, registered(worker_id, nik))

    assert enrol(orientation, session, worker_id)["status"] == "enrolled"


def test_a_worker_who_loses_eligibility_before_attending_loses_the_seat(
    orientation, amqp, db, agency
):
    [(worker_id, _nik)] = eligible_workers(amqp, db)
    session = schedule(orientation, capacity=3)
    enrol(orientation, session, worker_id)

    send(amqp, db, document_event(c.DOCUMENT_EXPIRED, worker_id, 12, complete=False))

    [released] = published(agency, c.ORIENTATION_RELEASED)
    assert released["data"] == {
        "session_id": session["id"],
        "reason": "documents_no_longer_complete",
    }
    assert call(orientation, "get_session", session["id"])["seats_left"] == 3
    assert (
        scalar(db, "SELECT status FROM enrolments WHERE worker_id = :w", w=worker_id) == "released"
    )
    assert (
        refusal(NotEligible, orientation, "enrol_worker", session["id"], {"worker_id": worker_id})[
            "reason"
        ]
        == "documents_not_verified"
    )
    send(amqp, db, document_event(c.DOCUMENT_VERIFIED, worker_id, 13, complete=True))
    assert enrol(orientation, session, worker_id)["status"] == "enrolled"  # back in its seat


def test_a_withdrawn_worker_gives_back_the_seat(orientation, amqp, db, agency):
    [(worker_id, _nik)] = eligible_workers(amqp, db)
    session = schedule(orientation)
    enrol(orientation, session, worker_id)

    send(amqp, db, status_changed(worker_id, "withdrawn", sequence=9))

    [released] = published(agency, c.ORIENTATION_RELEASED)
    assert released["data"]["reason"] == "withdrawn"
    assert call(orientation, "get_session", session["id"])["enrolled"] == 0
    assert (
        refusal(NotEligible, orientation, "enrol_worker", session["id"], {"worker_id": worker_id})[
            "reason"
        ]
        == "not_before_departure"
    )


def test_a_second_seat_is_refused_while_one_is_held(orientation, amqp, db):
    [(worker_id, _nik)] = eligible_workers(amqp, db)
    first, second = schedule(orientation, days=2), schedule(orientation, days=4)
    enrol(orientation, first, worker_id)

    details = refusal(
        NotEligible, orientation, "enrol_worker", second["id"], {"worker_id": worker_id}
    )
    assert details == {"reason": "already_enrolled", "session_id": first["id"]}
    assert call(orientation, "get_session", second["id"])["enrolled"] == 0


def test_a_full_session_names_the_next_session_with_seats(orientation, amqp, db):
    (first, _), (second, _), (third, _) = eligible_workers(amqp, db, 3)
    soon, later_full, latest = (
        schedule(orientation, days=1, capacity=1),
        schedule(orientation, days=2, capacity=1),
        schedule(orientation, days=6, capacity=2),
    )
    enrol(orientation, soon, first)
    enrol(orientation, later_full, second)

    with pytest.raises(CapacityReached) as full:
        enrol(orientation, soon, third)

    assert full.value.details["next_session"]["id"] == latest["id"]
    assert full.value.details["next_session"]["seats_left"] == 2
    assert [s["id"] for s in call(orientation, "list_sessions", {})["items"]] == [latest["id"]]


# attendance and certificates ----------------------------------------------------------------


def test_attendance_with_another_nik_is_refused_and_kept_as_an_incident(
    orientation, amqp, db, clock, agency
):
    [(worker_id, nik)] = eligible_workers(amqp, db)
    session = schedule(orientation, days=1)
    enrol(orientation, session, worker_id)
    clock.advance(days=1, minutes=-30)  # check-in, half an hour before the start
    substitute = worker_payload()["nik"]

    details = refusal(
        IdentityMismatch,
        orientation,
        "record_attendance",
        session["id"],
        {"worker_id": worker_id, "nik": substitute},
    )

    [incident] = call(orientation, "list_incidents", {})["items"]
    assert incident["id"] == details["incident_id"]
    assert incident["session_id"] == session["id"] and incident["worker_id"] == worker_id
    assert incident["presented_nik_masked"] == mask_nik(substitute)
    with db.connect() as conn:
        stored = str(conn.execute(text("SELECT * FROM incidents")).all())
        stored += str(conn.execute(text("SELECT * FROM workers")).all())
    assert substitute not in stored and nik not in stored
    assert (
        scalar(db, "SELECT status FROM enrolments WHERE worker_id = :w", w=worker_id) == "enrolled"
    )
    assert scalar(db, "SELECT count(*) FROM completions") == 0
    assert call(orientation, "list_incidents", {"worker_id": str(uuid.uuid4())})["items"] == []


def test_a_trainer_presenting_wrong_niks_for_a_worker_is_stopped_and_an_incident_raised(
    orientation, amqp, db, clock
):
    [(worker_id, nik)] = eligible_workers(amqp, db)
    session = schedule(orientation, days=1)
    enrol(orientation, session, worker_id)
    clock.advance(days=1, minutes=-30)
    trainer = {"actor_role": "trainer", "actor_subject": "opp-3"}
    attend = partial(call, orientation, "record_attendance", session["id"], actor=trainer)

    for _ in range(2):
        with pytest.raises(IdentityMismatch):
            attend({"worker_id": worker_id, "nik": worker_payload()["nik"]})
    with pytest.raises(TooManyAttempts) as third:
        attend({"worker_id": worker_id, "nik": worker_payload()["nik"]})
    with pytest.raises(TooManyAttempts) as fourth:  # even the right NIK: stopped, not checked
        attend({"worker_id": worker_id, "nik": nik})

    assert 0 < fourth.value.details["retry_after"] <= 24 * 3600
    kinds = [i["kind"] for i in call(orientation, "list_incidents", {})["items"]]
    assert kinds == ["nik_attempts_exhausted"] + ["identity_mismatch"] * 3
    assert (
        third.value.details["incident_id"]
        == call(orientation, "list_incidents", {})["items"][0]["id"]
    )
    assert scalar(db, "SELECT count(*) FROM completions") == 0
    # another trainer at the door is not stopped by the first one's attempts
    completed = call(
        orientation,
        "record_attendance",
        session["id"],
        {"worker_id": worker_id, "nik": nik},
        actor={"actor_role": "trainer", "actor_subject": "opp-4"},
    )
    assert completed["certificate_number"]


def test_attendance_completes_orientation_and_anyone_can_check_the_certificate(
    orientation, amqp, db, clock, agency
):
    [(worker_id, nik)] = eligible_workers(amqp, db)
    session = schedule(orientation, days=1)
    enrol(orientation, session, worker_id)
    clock.advance(days=1, hours=1)

    completion = call(
        orientation, "record_attendance", session["id"], {"worker_id": worker_id, "nik": nik}
    )

    number = completion["certificate_number"]
    assert completion["session_id"] == session["id"] and completion["worker_id"] == worker_id
    [completed] = published(agency, c.ORIENTATION_COMPLETED)
    assert completed["worker_id"] == worker_id
    assert completed["data"]["certificate_number"] == number
    checked = call(orientation, "verify_certificate", number.lower())
    assert checked == {
        "valid": True,
        "certificate_number": number,
        "holder_initials": "S. N. A.",
        "completed_at": completion["completed_at"],
        "session": {
            "id": session["id"],
            "starts_at": session["starts_at"],
            "location": session["location"],
        },
    }
    assert nik not in str(checked) and nik_digest(nik) not in str(checked)
    assert call(orientation, "verify_certificate", "OPP-2030-00000-00000-0")["valid"] is False
    assert call(orientation, "verify_certificate", "nonsense") == {
        "valid": False,
        "certificate_number": "NONSENSE",
    }
    again = call(
        orientation, "record_attendance", session["id"], {"worker_id": worker_id, "nik": nik}
    )
    assert again == completion  # recorded twice, one certificate
    assert (
        refusal(
            NotEligible,
            orientation,
            "enrol_worker",
            schedule(orientation, days=3)["id"],
            {"worker_id": worker_id},
        )["reason"]
        == "already_completed"
    )


def test_attendance_is_refused_to_a_worker_not_enrolled_in_that_session(
    orientation, amqp, db, clock
):
    [(worker_id, nik)] = eligible_workers(amqp, db)
    enrolled_in, other = schedule(orientation, days=1), schedule(orientation, days=1)
    enrol(orientation, enrolled_in, worker_id)
    details = refusal(
        NotEligible,
        orientation,
        "record_attendance",
        other["id"],
        {"worker_id": worker_id, "nik": nik},
    )
    assert details["reason"] == "not_enrolled"
    refusal(
        TransitionRefused,
        orientation,
        "record_attendance",
        enrolled_in["id"],
        {"worker_id": worker_id, "nik": nik},
    )  # a day early: check-in is not open
    assert refusal(
        InvalidInput,
        orientation,
        "record_attendance",
        enrolled_in["id"],
        {"worker_id": worker_id, "nik": "12"},
    ) == {"nik": ["must be exactly 16 digits"]}


def test_a_new_cycle_lets_a_worker_attend_orientation_again(orientation, amqp, db, clock):
    [(worker_id, nik)] = eligible_workers(amqp, db)
    session = schedule(orientation, days=1)
    enrol(orientation, session, worker_id)
    clock.advance(days=1)
    first = call(
        orientation, "record_attendance", session["id"], {"worker_id": worker_id, "nik": nik}
    )
    send(
        amqp,
        db,
        status_changed(worker_id, "withdrawn", sequence=20),
        registered(worker_id, nik, cycle=2, sequence=21),
    )

    later = schedule(orientation, days=10)
    assert enrol(orientation, later, worker_id)["status"] == "enrolled"
    assert call(orientation, "verify_certificate", first["certificate_number"])["valid"]


def test_a_seat_of_a_previous_cycle_is_given_back_whatever_order_its_end_arrives_in(
    orientation, amqp, db, agency
):
    [(worker_id, nik)] = eligible_workers(amqp, db)
    session = schedule(orientation)
    enrol(orientation, session, worker_id)

    send(amqp, db, registered(worker_id, nik, cycle=2, sequence=21))  # registered again...
    send(amqp, db, status_changed(worker_id, "withdrawn", sequence=20))  # ...before the withdrawal

    [released] = published(agency, c.ORIENTATION_RELEASED)
    assert released["data"]["reason"] == "new_cycle"
    assert call(orientation, "get_session", session["id"])["enrolled"] == 0
    assert enrol(orientation, session, worker_id)["status"] == "enrolled"
