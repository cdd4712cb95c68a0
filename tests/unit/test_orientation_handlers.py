"""Every orientation handler over the in-memory repository: what happened before, the command,
query or event, and what must follow. A refusal changes nothing and publishes nothing."""

from __future__ import annotations

import copy
import datetime as dt
import uuid

import pytest

from pmi_common import contract as c
from pmi_common.errors import (
    CapacityReached,
    IdentityMismatch,
    InvalidInput,
    NotEligible,
    NotFound,
    TooManyAttempts,
    TransitionRefused,
)
from pmi_common.events import parse_event
from pmi_common.identity import mask_nik, nik_digest
from services.orientation import handlers
from services.orientation.domain import (
    ATTENDED,
    CANCELLED,
    ENROLLED,
    IDENTITY_MISMATCH,
    NIK_ATTEMPTS_EXHAUSTED,
    RELEASED,
    WrongNik,
)
from tests.events import REGISTERED_V2, envelope
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.fakes.orientation import FakeOrientationRepository

NOW = dt.datetime(2030, 3, 4, 1, 0, tzinfo=dt.UTC)
NIK = "3505125703940001"
OTHER_NIK = "3505125703940002"
TRAINER = {"role": "trainer", "subject": "opp-3"}


@pytest.fixture
def uow():
    return FakeUnitOfWork(FakeOrientationRepository(), source=c.ORIENTATION, actor=TRAINER)


@pytest.fixture
def repository(uow):
    return uow.repository


# stories' first steps -----------------------------------------------------------------------


def schedule(uow, days: float = 3, capacity: int = 20, **extra):
    return uow.run(
        handlers.schedule_sitting,
        {
            "starts_at": (NOW + dt.timedelta(days=days)).isoformat(),
            "location": " LTSA Blitar ",
            "capacity": capacity,
            "topics": [" rights "],
            **extra,
        },
        NOW,
    )


def event(event_type: str, worker_id: str, data: dict, sequence: int, version: int | None = None):
    return parse_event(envelope(event_type, worker_id, data, sequence, version))


def registered(
    worker_id: str,
    nik: str = NIK,
    cycle: int = 1,
    sequence: int = 1,
    name: str = "Siti Nur'aini",
    version: int = 2,
):
    """``version`` 1: a registration from the history, before the birth year and village."""
    return event(
        c.WORKER_REGISTERED,
        worker_id,
        {
            "nik_masked": mask_nik(nik),
            "nik_digest": nik_digest(nik),
            "full_name": name,
            "sex": "F",
            "regency": "Blitar",
            "destination_country": "HK",
            "occupation": "caregiver",
            "placement_agency": "PT Sinar Jaya",
            "cycle": cycle,
            **(REGISTERED_V2 if version == 2 else {}),
        },
        sequence,
        version,
    )


def status_changed(worker_id: str, to_status: str, sequence: int, cycle: int = 1):
    return event(
        c.WORKER_STATUS_CHANGED,
        worker_id,
        {
            "from_status": "documents_verified",
            "to_status": to_status,
            "stage": "pre_departure",
            "reason": to_status,
            "cycle": cycle,
        },
        sequence,
    )


def documents_completed(worker_id: str, sequence: int = 5):
    return event(
        c.DOCUMENTS_COMPLETED,
        worker_id,
        {"document_ids": ["d1"], "earliest_expiry": None},
        sequence,
    )


def document_expired(worker_id: str, sequence: int):
    return event(
        c.DOCUMENT_EXPIRED,
        worker_id,
        {
            "document_id": "d2",
            "document_type": "passport",
            "checklist_complete": False,
            "expired_on": "2030-03-01",
        },
        sequence,
    )


def apply(uow, *events) -> None:
    for one in events:
        uow.run(handlers.EVENTS[one.event_type], one, NOW)


def eligible(uow) -> str:
    worker_id = str(uuid.uuid4())
    apply(uow, registered(worker_id), documents_completed(worker_id))
    return worker_id


def enrol(uow, sitting, worker_id: str):
    return uow.run(handlers.enrol_worker, sitting.id, {"worker_id": worker_id}, NOW)


def attend(uow, sitting, worker_id: str, nik: str = NIK, at: dt.datetime | None = None):
    return uow.run(
        handlers.record_attendance,
        sitting.id,
        {"worker_id": worker_id, "nik": nik},
        at or sitting.starts_at,
    )


def refused(exc_type, uow, handler, *args):
    """Run a handler that must be refused; check the refusal changed and published nothing."""
    before = copy.deepcopy(uow.repository.__dict__)
    published = len(uow.published)
    with pytest.raises(exc_type) as refusal:
        uow.run(handler, *args)
    assert uow.repository.__dict__ == before
    assert len(uow.published) == published
    return refusal.value.details


# schedule_sitting ---------------------------------------------------------------------------


def test_a_scheduled_sitting_is_stored_and_announced_on_its_own_stream(uow, repository):
    sitting = schedule(uow, capacity=30)

    assert repository.get_sitting(sitting.id) is sitting
    assert (sitting.location, sitting.topics, sitting.seats_left) == ("LTSA Blitar", ["rights"], 30)
    [announced] = uow.published
    assert announced["event_type"] == c.SESSION_SCHEDULED and announced["worker_id"] is None
    assert announced["data"]["session_id"] == sitting.id


def test_a_sitting_in_the_past_or_without_seats_is_refused(uow):
    details = refused(
        InvalidInput,
        uow,
        handlers.schedule_sitting,
        {"starts_at": (NOW - dt.timedelta(hours=1)).isoformat(), "location": "LTSA", "capacity": 0},
        NOW,
    )
    assert set(details) == {"starts_at", "capacity"}


# cancel_sitting -----------------------------------------------------------------------------


def test_cancelling_a_sitting_releases_its_seats_and_tells_the_workers(uow, repository):
    sitting = schedule(uow)
    worker_id = eligible(uow)
    enrol(uow, sitting, worker_id)

    uow.run(handlers.cancel_sitting, sitting.id, {"reason": "hall flooded"}, NOW)

    assert (sitting.status, sitting.enrolled, sitting.cancelled_reason) == (
        CANCELLED,
        0,
        "hall flooded",
    )
    assert repository.lock_enrolment(sitting.id, worker_id).status == RELEASED
    assert uow.types()[-2:] == [c.SESSION_CANCELLED, c.ORIENTATION_RELEASED]
    assert uow.published[-1]["data"] == {"session_id": sitting.id, "reason": "session_cancelled"}


def test_a_cancellation_is_refused_without_reason_twice_or_for_an_unknown_sitting(uow):
    sitting = schedule(uow)
    refused(InvalidInput, uow, handlers.cancel_sitting, sitting.id, {}, NOW)
    uow.run(handlers.cancel_sitting, sitting.id, {"reason": "flooded"}, NOW)
    refused(TransitionRefused, uow, handlers.cancel_sitting, sitting.id, {"reason": "x"}, NOW)
    refused(NotFound, uow, handlers.cancel_sitting, str(uuid.uuid4()), {"reason": "x"}, NOW)


def test_a_sitting_that_has_started_cannot_be_cancelled(uow):
    sitting = schedule(uow, days=1)
    later = NOW + dt.timedelta(days=1)
    refused(TransitionRefused, uow, handlers.cancel_sitting, sitting.id, {"reason": "x"}, later)


# enrol_worker -------------------------------------------------------------------------------


def test_an_eligible_worker_takes_a_seat(uow, repository):
    sitting = schedule(uow)
    worker_id = eligible(uow)

    enrolment = enrol(uow, sitting, worker_id)

    assert (enrolment.sitting_id, enrolment.status, enrolment.enrolled_at) == (
        sitting.id,
        ENROLLED,
        NOW,
    )
    assert repository.lock_enrolment(sitting.id, worker_id) is enrolment
    assert sitting.enrolled == 1 and sitting.seats_left == 19
    assert uow.types()[-1] == c.ORIENTATION_ENROLLED
    assert uow.published[-1]["worker_id"] == worker_id


def test_enrolment_refused_until_documents_verified(uow):
    sitting, worker_id = schedule(uow), str(uuid.uuid4())
    assert (
        refused(NotEligible, uow, handlers.enrol_worker, sitting.id, {"worker_id": worker_id}, NOW)[
            "reason"
        ]
        == "not_registered"
    )
    apply(uow, registered(worker_id))
    assert (
        refused(NotEligible, uow, handlers.enrol_worker, sitting.id, {"worker_id": worker_id}, NOW)[
            "reason"
        ]
        == "documents_not_verified"
    )
    apply(uow, documents_completed(worker_id))
    assert enrol(uow, sitting, worker_id).status == ENROLLED


def test_enrolment_refused_to_a_withdrawn_worker(uow):
    sitting, worker_id = schedule(uow), eligible(uow)
    apply(uow, status_changed(worker_id, "withdrawn", sequence=9))
    details = refused(
        NotEligible, uow, handlers.enrol_worker, sitting.id, {"worker_id": worker_id}, NOW
    )
    assert details == {"reason": "not_before_departure", "status": "withdrawn"}


def test_a_second_seat_is_refused_while_one_is_held(uow):
    first, second, worker_id = schedule(uow, days=2), schedule(uow, days=4), eligible(uow)
    enrol(uow, first, worker_id)
    details = refused(
        NotEligible, uow, handlers.enrol_worker, second.id, {"worker_id": worker_id}, NOW
    )
    assert details == {"reason": "already_enrolled", "session_id": first.id}


def test_a_full_sitting_names_the_next_one_with_seats(uow):
    soon, full_later, latest = (
        schedule(uow, days=1, capacity=1),
        schedule(uow, days=2, capacity=1),
        schedule(uow, days=6),
    )
    enrol(uow, soon, eligible(uow))
    enrol(uow, full_later, eligible(uow))

    details = refused(
        CapacityReached, uow, handlers.enrol_worker, soon.id, {"worker_id": eligible(uow)}, NOW
    )

    assert details["capacity"] == 1
    assert details["next_session"]["id"] == latest.id
    assert details["next_session"]["seats_left"] == 20


def test_a_started_or_unknown_sitting_or_a_bad_worker_id_takes_no_enrolment(uow):
    sitting, worker_id = schedule(uow, days=1), eligible(uow)
    tomorrow = NOW + dt.timedelta(days=1)
    refused(
        TransitionRefused,
        uow,
        handlers.enrol_worker,
        sitting.id,
        {"worker_id": worker_id},
        tomorrow,
    )
    refused(NotFound, uow, handlers.enrol_worker, "../etc", {"worker_id": worker_id}, NOW)
    refused(InvalidInput, uow, handlers.enrol_worker, sitting.id, {"worker_id": "w"}, NOW)


def test_a_worker_released_from_a_sitting_may_take_its_seat_again(uow, repository):
    sitting, worker_id = schedule(uow), eligible(uow)
    first = enrol(uow, sitting, worker_id)
    apply(uow, document_expired(worker_id, sequence=12))
    assert first.status == RELEASED and sitting.enrolled == 0
    apply(uow, documents_completed(worker_id, sequence=13))

    again = enrol(uow, sitting, worker_id)

    assert again is first and again.status == ENROLLED and again.release_reason is None
    assert sitting.enrolled == 1


# record_attendance --------------------------------------------------------------------------


def test_attendance_completes_orientation_once(uow, repository):
    sitting, worker_id = schedule(uow, days=1), eligible(uow)
    enrol(uow, sitting, worker_id)

    completion = attend(uow, sitting, worker_id)

    assert completion.sitting_id == sitting.id and completion.holder_name == "Siti Nur'aini"
    assert repository.get_completion(completion.certificate_number) is completion
    assert repository.lock_enrolment(sitting.id, worker_id).status == ATTENDED
    assert uow.types()[-1] == c.ORIENTATION_COMPLETED
    assert handlers.answer_attendance({"certificate_number": "x"}, NOW) == {
        "certificate_number": "x"
    }
    published = len(uow.published)
    assert attend(uow, sitting, worker_id) is completion  # recorded again: the same certificate
    assert len(uow.published) == published
    assert (
        refused(
            NotEligible, uow, handlers.enrol_worker, schedule(uow).id, {"worker_id": worker_id}, NOW
        )["reason"]
        == "already_completed"
    )


def test_a_wrong_nik_is_recorded_then_refused_as_an_identity_mismatch(uow, repository):
    sitting, worker_id = schedule(uow, days=1), eligible(uow)
    enrol(uow, sitting, worker_id)
    published = len(uow.published)

    wrong = attend(uow, sitting, worker_id, nik=OTHER_NIK)

    assert isinstance(wrong, WrongNik) and wrong.stopped_until is None
    [incident] = repository.incidents.values()
    assert incident is wrong.incident and incident.kind == IDENTITY_MISMATCH
    assert incident.presented_nik_masked == mask_nik(OTHER_NIK)
    assert OTHER_NIK not in str(incident) and incident.actor_subject == "opp-3"
    assert repository.lock_enrolment(sitting.id, worker_id).status == ENROLLED
    assert len(uow.published) == published
    with pytest.raises(IdentityMismatch) as refusal:
        handlers.answer_attendance(handlers.wrong_nik_answer(wrong), sitting.starts_at)
    assert refusal.value.details == {"incident_id": incident.id, "worker_id": worker_id}


def test_a_trainer_is_stopped_at_the_third_wrong_nik_and_another_trainer_is_not(uow, repository):
    sitting, worker_id = schedule(uow, days=1), eligible(uow)
    enrol(uow, sitting, worker_id)
    for _ in range(2):
        attend(uow, sitting, worker_id, nik=OTHER_NIK)

    third = attend(uow, sitting, worker_id, nik=OTHER_NIK)

    assert third.incident.kind == NIK_ATTEMPTS_EXHAUSTED and third.wrong_niks == 3
    with pytest.raises(TooManyAttempts) as stopped:
        handlers.answer_attendance(handlers.wrong_nik_answer(third), sitting.starts_at)
    assert stopped.value.details == {
        "retry_after": 24 * 3600,
        "wrong_niks": 3,
        "incident_id": third.incident.id,
    }
    later = sitting.starts_at + dt.timedelta(hours=1)  # a keyed retry is told the time left
    with pytest.raises(TooManyAttempts) as retried:
        handlers.answer_attendance(handlers.wrong_nik_answer(third), later)
    assert retried.value.details["retry_after"] == 23 * 3600
    details = refused(
        TooManyAttempts,
        uow,
        handlers.record_attendance,
        sitting.id,
        {"worker_id": worker_id, "nik": NIK},
        sitting.starts_at,
    )
    assert "incident_id" not in details  # stopped before the NIK is compared
    uow.actor = {"role": "trainer", "subject": "opp-4"}
    assert attend(uow, sitting, worker_id).certificate_number


def test_attendance_is_refused_outside_check_in_or_without_a_seat(uow):
    sitting, other, worker_id = schedule(uow, days=1), schedule(uow, days=1), eligible(uow)
    enrol(uow, sitting, worker_id)
    refused(
        NotEligible,
        uow,
        handlers.record_attendance,
        other.id,
        {"worker_id": worker_id, "nik": NIK},
        sitting.starts_at,
    )
    refused(
        NotEligible,
        uow,
        handlers.record_attendance,
        sitting.id,
        {"worker_id": str(uuid.uuid4()), "nik": NIK},
        sitting.starts_at,
    )
    refused(
        TransitionRefused,
        uow,
        handlers.record_attendance,
        sitting.id,
        {"worker_id": worker_id, "nik": NIK},
        NOW,
    )
    assert refused(
        InvalidInput,
        uow,
        handlers.record_attendance,
        sitting.id,
        {"worker_id": worker_id, "nik": "12"},
        sitting.starts_at,
    ) == {"nik": ["must be exactly 16 digits"]}


# queries ------------------------------------------------------------------------------------


def test_a_sitting_is_found_by_its_id_only(uow, repository):
    sitting = schedule(uow)
    assert handlers.get_sitting(repository, sitting.id) is sitting
    for unknown in (str(uuid.uuid4()), "../etc"):
        with pytest.raises(NotFound):
            handlers.get_sitting(repository, unknown)


def test_sittings_are_paged_by_start_and_past_ones_only_on_request(uow, repository):
    ids = [schedule(uow, days=day).id for day in (5, 2, 9)]
    first, cursor = handlers.list_sittings(repository, {"limit": 2}, NOW)
    second, end = handlers.list_sittings(repository, {"limit": 2, "cursor": cursor}, NOW)
    assert [s.id for s in first + second] == [ids[1], ids[0], ids[2]] and end is None
    later = NOW + dt.timedelta(days=3)
    assert [s.id for s in handlers.list_sittings(repository, {}, later)[0]] == [ids[0], ids[2]]
    assert len(handlers.list_sittings(repository, {"upcoming": False}, later)[0]) == 3
    with pytest.raises(InvalidInput) as bad:
        handlers.list_sittings(repository, {"cursor": "not-a-cursor"}, NOW)
    assert "cursor" in bad.value.details


def test_anyone_can_check_a_certificate(uow, repository):
    sitting, worker_id = schedule(uow, days=1), eligible(uow)
    enrol(uow, sitting, worker_id)
    number = attend(uow, sitting, worker_id).certificate_number

    checked = handlers.verify_certificate(repository, number.lower())

    assert checked["valid"] and checked["certificate_number"] == number
    assert checked["session"] == {
        "id": sitting.id,
        "starts_at": sitting.starts_at.isoformat(),
        "location": "LTSA Blitar",
    }
    assert handlers.verify_certificate(repository, "nonsense") == {
        "valid": False,
        "certificate_number": "NONSENSE",
    }
    assert not handlers.verify_certificate(repository, "OPP-2030-00000-00000-0")["valid"]


def test_incidents_are_listed_newest_first_by_sitting_or_worker(uow, repository):
    sitting, worker_id = schedule(uow, days=1), eligible(uow)
    enrol(uow, sitting, worker_id)
    for _ in range(3):
        attend(uow, sitting, worker_id, nik=OTHER_NIK)
    first, cursor = handlers.list_incidents(repository, {"limit": 3})
    rest, end = handlers.list_incidents(repository, {"limit": 3, "cursor": cursor})
    assert [i.id for i in first + rest] == [4, 3, 2, 1] and end is None
    assert first[0].kind == NIK_ATTEMPTS_EXHAUSTED
    assert len(handlers.list_incidents(repository, {"session_id": sitting.id})[0]) == 4
    assert handlers.list_incidents(repository, {"worker_id": str(uuid.uuid4())})[0] == []
    with pytest.raises(InvalidInput):
        handlers.list_incidents(repository, {"cursor": "42"})


@pytest.mark.parametrize("version", [1, 2], ids=["from_the_history", "today"])
def test_a_worker_is_known_once_registration_has_said_so(uow, repository, version):
    worker_id = str(uuid.uuid4())
    apply(uow, documents_completed(worker_id))
    assert not handlers.knows_worker(repository, worker_id)
    apply(uow, registered(worker_id, version=version))
    assert handlers.knows_worker(repository, worker_id)
    assert repository.lock_trainee(worker_id).nik_digest == nik_digest(NIK)


# events -------------------------------------------------------------------------------------


def test_documents_before_the_registration_and_out_of_order_are_kept_by_sequence(uow, repository):
    worker_id = str(uuid.uuid4())
    apply(
        uow,
        documents_completed(worker_id, sequence=7),
        document_expired(worker_id, 3),
        registered(worker_id),
    )
    trainee = repository.lock_trainee(worker_id)
    assert trainee.registered and trainee.documents_complete
    assert (trainee.documents_sequence, trainee.nik_digest) == (7, nik_digest(NIK))


def test_an_event_applied_twice_changes_nothing_more(uow, repository):
    sitting, worker_id = schedule(uow), eligible(uow)
    enrol(uow, sitting, worker_id)
    withdrawn = status_changed(worker_id, "withdrawn", sequence=9)
    apply(uow, withdrawn)
    published = len(uow.published)
    apply(uow, withdrawn)
    assert len(uow.published) == published and sitting.enrolled == 0


def test_a_withdrawal_or_expired_documents_give_the_seat_back(uow, repository):
    sitting, withdrawing, expiring = schedule(uow), eligible(uow), eligible(uow)
    enrol(uow, sitting, withdrawing)
    enrol(uow, sitting, expiring)

    apply(
        uow,
        status_changed(withdrawing, "withdrawn", sequence=9),
        document_expired(expiring, sequence=12),
    )

    assert sitting.enrolled == 0
    released = [
        e["data"]["reason"] for e in uow.published if e["event_type"] == c.ORIENTATION_RELEASED
    ]
    assert released == ["withdrawn", "documents_no_longer_complete"]


def test_an_older_status_does_not_undo_a_newer_one(uow, repository):
    worker_id = eligible(uow)
    apply(
        uow,
        status_changed(worker_id, "withdrawn", sequence=6),
        status_changed(worker_id, "documents_verified", sequence=3),
    )
    assert repository.lock_trainee(worker_id).status == "withdrawn"


def test_a_seat_of_a_previous_cycle_is_given_back_whatever_order_its_end_arrives_in(
    uow, repository
):
    sitting, worker_id = schedule(uow), eligible(uow)
    enrol(uow, sitting, worker_id)

    apply(
        uow,
        registered(worker_id, cycle=2, sequence=21, name="Siti N."),
        status_changed(worker_id, "withdrawn", sequence=20),
    )

    trainee = repository.lock_trainee(worker_id)
    assert (trainee.cycle, trainee.status, trainee.full_name) == (2, "registered", "Siti N.")
    assert [
        e["data"]["reason"] for e in uow.published if e["event_type"] == c.ORIENTATION_RELEASED
    ] == ["new_cycle"]
    apply(uow, registered(worker_id, cycle=1, sequence=1, name="old"))  # a late, older word
    assert trainee.full_name == "Siti N." and trainee.cycle == 2
    assert enrol(uow, sitting, worker_id).status == ENROLLED


def test_an_event_naming_no_worker_is_refused(uow):
    refused(InvalidInput, uow, handlers.on_documents_changed, documents_completed("nobody"), NOW)


def test_the_tables_list_every_handler_and_every_event_orientation_handles():
    assert set(handlers.EVENTS) == {spec.event_type for spec in c.handled_by(c.ORIENTATION)}
    listed = {*handlers.COMMANDS.values(), *handlers.QUERIES.values(), *handlers.EVENTS.values()}
    assert all(callable(handler) for handler in listed)
