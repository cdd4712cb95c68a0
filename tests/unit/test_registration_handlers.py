"""Registration's handlers over the fake repository: every command's success and refusals (a
refusal stores nothing and announces nothing), every event handler in order, out of order and
repeated, and every query."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from pmi_common import contract as c
from pmi_common.errors import DuplicateRegistration, InvalidInput, NotFound, TransitionRefused
from pmi_common.events import parse_event
from services.registration import handlers
from services.registration.domain import Worker
from tests.events import envelope
from tests.helpers import worker_payload
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.fakes.registration import FakeRegistrationRepository

NOW = dt.datetime(2027, 1, 4, 2, 30, tzinfo=dt.UTC)
TODAY = dt.date(2027, 1, 4)
DESK = {"role": "operator", "agency": "ltsa-blitar", "subject": "desk-1"}
HORIZON = 90


@pytest.fixture
def repository():
    return FakeRegistrationRepository()


@pytest.fixture
def uow(repository):
    return FakeUnitOfWork(repository, source=c.REGISTRATION, actor=DESK)


def register(uow, **overrides) -> Worker:
    return uow.run(handlers.register_worker, worker_payload(**overrides), NOW, TODAY)


def event(
    event_type: str, worker: Worker, data: dict, sequence: int = 1, occurred_at: dt.datetime = NOW
):
    return parse_event(
        envelope(
            event_type, worker.id, data, sequence=sequence, occurred_at=occurred_at.isoformat()
        )
    )


def apply(
    uow,
    event_type: str,
    worker: Worker,
    data: dict,
    sequence: int = 1,
    occurred_at: dt.datetime = NOW,
) -> Worker:
    return uow.run(
        handlers.EVENTS[event_type], event(event_type, worker, data, sequence, occurred_at), TODAY
    )


def documents_completed(
    uow, worker: Worker, sequence: int = 10, earliest_expiry: dt.date | None = dt.date(2030, 1, 1)
) -> Worker:
    return apply(
        uow,
        c.DOCUMENTS_COMPLETED,
        worker,
        {"document_ids": [str(uuid.uuid4())], "earliest_expiry": earliest_expiry},
        sequence,
    )


def document(event_type: str, complete: bool, **extra) -> dict:
    return {
        "document_id": str(uuid.uuid4()),
        "document_type": "passport",
        "checklist_complete": complete,
        **extra,
    }


def orientation_completed(uow, worker: Worker) -> Worker:
    return apply(
        uow,
        c.ORIENTATION_COMPLETED,
        worker,
        {"session_id": str(uuid.uuid4()), "certificate_number": "OPP-1", "completed_at": NOW},
    )


def reintegration(kind: str) -> dict:
    return {"program_id": str(uuid.uuid4()), "participant_kind": kind}


def completion(kind: str) -> dict:
    return {
        **reintegration(kind),
        "business_started": True,
        "business_name": "Warung Siti",
        "sector": "food",
        "regency": "Blitar",
        "awarded": False,
    }


def cleared(uow) -> Worker:
    worker = register(uow)
    documents_completed(uow, worker)
    orientation_completed(uow, worker)
    uow.run(handlers.update_worker, worker.id, {"bpjs_number": "12345678901"}, NOW)
    return worker


def departed(uow, on: dt.date = TODAY) -> Worker:
    worker = cleared(uow)
    return uow.run(
        handlers.record_departure,
        worker.id,
        {"departed_on": on.isoformat(), "destination_country": "HK", "employer": "Mrs Chan"},
        NOW,
        TODAY,
        HORIZON,
    )


def returned(uow) -> Worker:
    worker = departed(uow, on=TODAY - dt.timedelta(days=400))
    return uow.run(
        handlers.record_return,
        worker.id,
        {"returned_on": TODAY.isoformat(), "reason": "contract_ended"},
        NOW,
        TODAY,
    )


def refused(uow, repository, error, handler, *args):
    """Run a handler that must refuse; nothing stored, nothing announced."""
    before = _state(uow, repository)
    with pytest.raises(error) as refusal:
        uow.run(handler, *args)
    assert _state(uow, repository) == before
    return refusal.value


def _state(uow, repository) -> tuple:
    workers = {
        id: {key: value for key, value in vars(worker).items() if not key.startswith("_")}
        for id, worker in repository.workers.items()
    }
    return len(uow.published), len(repository.entries), workers


def changes(uow) -> list[tuple[str | None, str]]:
    return [
        (e["data"]["from_status"], e["data"]["to_status"])
        for e in uow.published
        if e["event_type"] == c.WORKER_STATUS_CHANGED
    ]


# register_worker -----------------------------------------------------------------------------


def test_registration_stores_the_worker_and_announces_it_with_a_masked_nik(uow, repository):
    payload = worker_payload()

    worker = uow.run(handlers.register_worker, payload, NOW, TODAY)

    assert repository.workers == {worker.id: worker}
    assert (worker.status, worker.stage, worker.cycle, worker.regency) == (
        "registered",
        "pre_departure",
        1,
        "Blitar",
    )
    assert uow.types() == [c.WORKER_REGISTERED, c.WORKER_STATUS_CHANGED]
    assert payload["nik"] not in str(uow.published)
    assert (
        uow.published[0]["data"]["nik_masked"]
        == payload["nik"][:6] + "******" + payload["nik"][-4:]
    )
    assert [(e.event_type, e.to_status, e.actor_role) for e in repository.timeline(worker.id)] == [
        (c.WORKER_REGISTERED, None, "operator"),
        (c.WORKER_STATUS_CHANGED, "registered", "operator"),
    ]


def test_registration_announces_the_birth_year_and_the_village_code_never_the_birth_date(uow):
    address = {"village": "Kademangan", "village_code": "35.05.12.2001", "regency": "Blitar"}
    uow.run(handlers.register_worker, worker_payload(address=address), NOW, TODAY)
    uow.run(handlers.register_worker, worker_payload(), NOW, TODAY)  # no village code given

    (named, unnamed) = [e for e in uow.published if e["event_type"] == c.WORKER_REGISTERED]
    assert named["event_version"] == unnamed["event_version"] == 2
    assert (named["data"]["birth_year"], named["data"]["village_code"]) == (1994, "35.05.12.2001")
    assert (unnamed["data"]["birth_year"], unnamed["data"]["village_code"]) == (1994, None)
    assert "1994-03-17" not in str(uow.published) and "birth_date" not in named["data"]


def test_registration_with_a_nik_that_does_not_match_the_birth_date_is_refused(uow, repository):
    payload = worker_payload()
    payload["birth_date"] = "1990-01-01"
    problem = refused(uow, repository, InvalidInput, handlers.register_worker, payload, NOW, TODAY)
    assert "nik" in problem.details and repository.workers == {}


def test_a_person_under_18_is_refused_registration(uow, repository):
    seventeen = dt.date(TODAY.year - 18, TODAY.month, TODAY.day + 1)
    problem = refused(
        uow,
        repository,
        InvalidInput,
        handlers.register_worker,
        worker_payload(birth_date=seventeen),
        NOW,
        TODAY,
    )
    assert problem.details["birth_date"] == ["the worker must be 18 or older (is 17)"]


def test_a_second_active_registration_of_a_nik_is_refused_naming_the_worker(uow, repository):
    payload = worker_payload()
    first = uow.run(handlers.register_worker, payload, NOW, TODAY)
    problem = refused(
        uow, repository, DuplicateRegistration, handlers.register_worker, payload, NOW, TODAY
    )
    assert problem.details == {"worker_id": first.id, "status": "registered"}


def test_a_returned_worker_registers_again_as_a_new_cycle_on_the_same_person(uow, repository):
    worker = returned(uow)
    before = len(uow.published)

    again = uow.run(handlers.register_worker, worker_payload(nik=worker.nik), NOW, TODAY)

    assert again is worker and len(repository.workers) == 1
    assert (
        again.cycle,
        again.status,
        again.bpjs_number,
        again.documents_complete,
        again.departed_on,
        again.returned_on,
    ) == (2, "registered", None, False, None, None)
    assert [e["event_type"] for e in uow.published[before:]] == [
        c.WORKER_REGISTERED,
        c.WORKER_STATUS_CHANGED,
    ]
    assert uow.published[-1]["data"]["reason"] == "registered_again_after:returned"


# update_worker -------------------------------------------------------------------------------


def test_contact_details_change_without_an_announcement(uow, repository):
    worker = register(uow)
    before = len(uow.published)

    uow.run(
        handlers.update_worker,
        worker.id,
        {"phone": "+6289876543210", "address": {"regency": " Malang ", "village": None}},
        NOW,
    )

    assert (worker.phone, worker.regency, worker.address) == (
        "+6289876543210",
        "Malang",
        {"regency": " Malang "},
    )
    assert len(uow.published) == before


def test_a_bpjs_number_goes_on_the_timeline_and_clears_a_worker_who_had_the_rest(uow, repository):
    worker = register(uow)
    documents_completed(uow, worker)
    orientation_completed(uow, worker)

    uow.run(handlers.update_worker, worker.id, {"bpjs_number": "12345678901"}, NOW)

    assert worker.status == "cleared_for_departure"
    assert changes(uow)[-1] == ("orientation_completed", "cleared_for_departure")
    assert [e.event_type for e in repository.timeline(worker.id)][-2:] == [
        "bpjs_number_recorded",
        c.WORKER_STATUS_CHANGED,
    ]


def test_the_same_bpjs_number_again_records_nothing(uow, repository):
    worker = cleared(uow)
    entries, published = len(repository.entries), len(uow.published)

    uow.run(handlers.update_worker, worker.id, {"bpjs_number": "12345678901"}, NOW)

    assert (len(repository.entries), len(uow.published)) == (entries, published)


def test_an_empty_update_and_an_unknown_worker_are_refused(uow, repository):
    worker = register(uow)
    refused(uow, repository, InvalidInput, handlers.update_worker, worker.id, {}, NOW)
    refused(
        uow,
        repository,
        NotFound,
        handlers.update_worker,
        str(uuid.uuid4()),
        {"phone": "+6289876543210"},
        NOW,
    )


# record_departure ----------------------------------------------------------------------------


def test_a_cleared_worker_departs(uow):
    worker = departed(uow)
    assert (worker.status, worker.stage, worker.employer) == ("departed", "abroad", "Mrs Chan")
    assert uow.types()[-3:] == [c.WORKER_DEPARTED, c.CONTRACT_RECORDED, c.WORKER_STATUS_CHANGED]


def test_a_departure_before_clearance_is_refused_naming_what_is_missing(uow, repository):
    worker = register(uow)
    problem = refused(
        uow,
        repository,
        TransitionRefused,
        handlers.record_departure,
        worker.id,
        {"departed_on": TODAY.isoformat(), "destination_country": "HK", "employer": "Mrs Chan"},
        NOW,
        TODAY,
        HORIZON,
    )
    assert problem.details["missing"] == [
        "documents_verified",
        "orientation_completed",
        "bpjs_number",
    ]


def test_a_departure_beyond_the_horizon_is_refused(uow, repository):
    worker = cleared(uow)
    far = TODAY + dt.timedelta(days=HORIZON + 1)
    problem = refused(
        uow,
        repository,
        InvalidInput,
        handlers.record_departure,
        worker.id,
        {"departed_on": far.isoformat(), "destination_country": "HK", "employer": "Mrs Chan"},
        NOW,
        TODAY,
        HORIZON,
    )
    assert "departed_on" in problem.details


def test_a_departure_after_the_documents_lapse_is_refused(uow, repository):
    worker = register(uow)
    documents_completed(uow, worker, earliest_expiry=TODAY + dt.timedelta(days=10))
    orientation_completed(uow, worker)
    uow.run(handlers.update_worker, worker.id, {"bpjs_number": "12345678901"}, NOW)
    later = TODAY + dt.timedelta(days=20)
    problem = refused(
        uow,
        repository,
        TransitionRefused,
        handlers.record_departure,
        worker.id,
        {"departed_on": later.isoformat(), "destination_country": "HK", "employer": "Mrs Chan"},
        NOW,
        TODAY,
        HORIZON,
    )
    assert problem.details["documents_valid_until"] == str(TODAY + dt.timedelta(days=10))


# record_return -------------------------------------------------------------------------------


def test_a_departed_worker_returns(uow):
    worker = returned(uow)
    assert (worker.status, worker.stage, worker.return_reason) == (
        "returned",
        "return",
        "contract_ended",
    )
    assert uow.types()[-2:] == [c.WORKER_RETURNED, c.WORKER_STATUS_CHANGED]
    assert changes(uow)[-1] == ("departed", "returned")


def test_a_return_dated_before_the_departure_is_refused(uow, repository):
    worker = departed(uow, on=TODAY)
    problem = refused(
        uow,
        repository,
        InvalidInput,
        handlers.record_return,
        worker.id,
        {"returned_on": (TODAY - dt.timedelta(days=1)).isoformat(), "reason": "terminated"},
        NOW,
        TODAY,
    )
    assert problem.details == {"returned_on": [f"must not be before {TODAY}"]}


def test_a_return_of_a_worker_who_never_left_is_refused(uow, repository):
    worker = register(uow)
    refused(
        uow,
        repository,
        TransitionRefused,
        handlers.record_return,
        worker.id,
        {"returned_on": TODAY.isoformat(), "reason": "contract_ended"},
        NOW,
        TODAY,
    )


# withdraw_worker -----------------------------------------------------------------------------


def test_a_worker_withdraws_before_departure(uow):
    worker = register(uow)
    uow.run(handlers.withdraw_worker, worker.id, {"reason": "changed my mind"}, NOW)
    assert worker.status == "withdrawn"
    assert uow.published[-1]["data"]["reason"] == "withdrawn:changed my mind"


def test_a_departed_worker_cannot_withdraw(uow, repository):
    worker = departed(uow)
    refused(
        uow,
        repository,
        TransitionRefused,
        handlers.withdraw_worker,
        worker.id,
        {"reason": "changed my mind"},
        NOW,
    )


# events from the documents service -----------------------------------------------------------


def test_a_complete_set_of_documents_verifies_the_worker_naming_the_cause(uow, repository):
    worker = register(uow)
    documents_completed(uow, worker)

    assert worker.status == "documents_verified"
    assert worker.documents_valid_until == dt.date(2030, 1, 1)
    entries = repository.timeline(worker.id)
    assert entries[-2].event_type == c.DOCUMENTS_COMPLETED
    assert entries[-1].details["caused_by"]["event_type"] == c.DOCUMENTS_COMPLETED
    assert worker.updated_at == NOW


def test_a_rejected_document_takes_a_verified_worker_back_to_registered(uow):
    worker = register(uow)
    documents_completed(uow, worker, sequence=3)
    apply(
        uow,
        c.DOCUMENT_REJECTED,
        worker,
        document(c.DOCUMENT_REJECTED, False, reason="blurred"),
        sequence=4,
    )
    assert worker.status == "registered"
    assert uow.published[-1]["data"]["reason"] == "document_rejected:passport"


def test_an_older_documents_event_arriving_late_goes_on_the_timeline_and_moves_nothing(
    uow, repository
):
    worker = register(uow)
    documents_completed(uow, worker, sequence=9)
    published = len(uow.published)

    apply(
        uow,
        c.DOCUMENT_REJECTED,
        worker,
        document(c.DOCUMENT_REJECTED, False, reason="blurred"),
        sequence=4,
    )

    assert worker.status == "documents_verified" and len(uow.published) == published
    assert repository.timeline(worker.id)[-1].event_type == c.DOCUMENT_REJECTED


def test_the_same_documents_word_twice_moves_the_worker_once(uow):
    worker = register(uow)
    documents_completed(uow, worker, sequence=5)
    documents_completed(uow, worker, sequence=5)
    assert changes(uow).count(("registered", "documents_verified")) == 1


def test_documents_that_lapsed_by_today_do_not_verify_the_worker(uow):
    worker = register(uow)
    documents_completed(uow, worker, earliest_expiry=TODAY - dt.timedelta(days=1))
    assert worker.status == "registered" and worker.documents_complete


# events from orientation ---------------------------------------------------------------------


def test_orientation_completed_before_the_documents_is_applied_in_order(uow):
    worker = register(uow)
    orientation_completed(uow, worker)
    assert worker.status == "registered"

    documents_completed(uow, worker)

    assert worker.status == "orientation_completed"
    assert changes(uow)[-2:] == [
        ("registered", "documents_verified"),
        ("documents_verified", "orientation_completed"),
    ]


@pytest.mark.parametrize(
    "event_type,data",
    [
        (c.ORIENTATION_ENROLLED, {"session_id": str(uuid.uuid4()), "starts_at": NOW}),
        (c.ORIENTATION_RELEASED, {"session_id": str(uuid.uuid4()), "reason": "cancelled"}),
        (
            c.REINTEGRATION_ROUND_RECORDED,
            {**reintegration("prospective"), "round": 1, "advanced": True, "score": 7.5},
        ),
    ],
)
def test_an_event_that_moves_nothing_still_goes_on_the_timeline(uow, repository, event_type, data):
    worker = register(uow)
    published = len(uow.published)
    later = NOW + dt.timedelta(hours=1)

    apply(uow, event_type, worker, data, occurred_at=later)

    assert len(uow.published) == published and worker.status == "registered"
    assert repository.timeline(worker.id)[-1].event_type == event_type
    assert worker.updated_at == later


# events from reintegration -------------------------------------------------------------------


def test_a_returnee_enrolling_in_reintegration_moves_on(uow):
    worker = returned(uow)
    apply(uow, c.REINTEGRATION_ENROLLED, worker, reintegration("returnee"))
    assert worker.status == "in_reintegration"


def test_a_prospective_worker_enrolling_keeps_their_status(uow, repository):
    worker = register(uow)
    apply(uow, c.REINTEGRATION_ENROLLED, worker, reintegration("prospective"))
    assert worker.status == "registered"
    assert repository.timeline(worker.id)[-1].details["participant_kind"] == "prospective"


def test_an_enrolment_said_prospective_after_the_return_is_recorded_is_a_returnees(uow, repository):
    worker = returned(uow)
    returned_at = repository.return_recorded_at(worker.id, worker.cycle)
    apply(
        uow,
        c.REINTEGRATION_ENROLLED,
        worker,
        reintegration("prospective"),
        occurred_at=returned_at + dt.timedelta(seconds=1),
    )
    assert worker.status == "in_reintegration"


def test_an_enrolment_said_prospective_from_before_the_return_moves_nothing(uow, repository):
    worker = returned(uow)
    returned_at = repository.return_recorded_at(worker.id, worker.cycle)
    apply(
        uow,
        c.REINTEGRATION_ENROLLED,
        worker,
        reintegration("prospective"),
        occurred_at=returned_at - dt.timedelta(seconds=1),
    )
    assert worker.status == "returned"


def test_a_returnee_completing_reintegration_is_reintegrated_even_before_the_enrolment(uow):
    worker = returned(uow)
    apply(uow, c.REINTEGRATION_COMPLETED, worker, completion("returnee"))
    assert worker.status == "reintegrated"
    assert changes(uow)[-2:] == [
        ("returned", "in_reintegration"),
        ("in_reintegration", "reintegrated"),
    ]
    apply(uow, c.REINTEGRATION_ENROLLED, worker, reintegration("returnee"))  # late: no move
    assert worker.status == "reintegrated"


def test_a_prospective_worker_completing_a_programme_keeps_their_status(uow):
    worker = register(uow)
    apply(uow, c.REINTEGRATION_COMPLETED, worker, completion("prospective"))
    assert worker.status == "registered"


def test_an_event_about_an_unknown_worker_is_refused(uow, repository):
    stranger = Worker(id=str(uuid.uuid4()))
    refused(
        uow,
        repository,
        NotFound,
        handlers.EVENTS[c.DOCUMENTS_COMPLETED],
        event(c.DOCUMENTS_COMPLETED, stranger, {"document_ids": [], "earliest_expiry": None}),
        TODAY,
    )


def test_every_event_registration_handles_has_a_handler():
    assert set(handlers.EVENTS) == {spec.event_type for spec in c.handled_by(c.REGISTRATION)}


# queries -------------------------------------------------------------------------------------


def test_a_worker_is_found_by_id_and_an_unknown_id_is_not_found(uow, repository):
    worker = register(uow)
    assert handlers.get_worker(repository, worker.id) is worker
    for unknown in (str(uuid.uuid4()), "not-an-id"):
        with pytest.raises(NotFound):
            handlers.get_worker(repository, unknown)


def test_lists_filter_and_page_with_a_cursor(uow, repository):
    workers = [register(uow) for _ in range(3)]
    register(uow, destination_country="MY")
    by_id = sorted(worker.id for worker in workers)

    first, cursor = handlers.list_workers(repository, {"destination_country": "HK", "limit": 2})
    second, last = handlers.list_workers(
        repository, {"destination_country": "HK", "limit": 2, "cursor": cursor}
    )

    assert [w.id for w in first] == by_id[:2] and cursor
    assert [w.id for w in second] == by_id[2:] and last is None


def test_a_cursor_this_list_did_not_give_is_refused(repository):
    with pytest.raises(InvalidInput) as refusal:
        handlers.list_workers(repository, {"cursor": "not-a-cursor"})
    assert "cursor" in refusal.value.details


def test_a_workers_events_are_the_envelopes_published_about_them(uow, repository):
    worker, other = register(uow), register(uow)
    repository.outbox = list(uow.published)
    events = handlers.worker_events(repository, worker.id)
    assert [e["event_type"] for e in events] == [c.WORKER_REGISTERED, c.WORKER_STATUS_CHANGED]
    assert {e["worker_id"] for e in events} == {worker.id} != {other.id}


def test_the_timeline_is_oldest_first_and_only_for_a_known_worker(uow, repository):
    worker = register(uow)
    documents_completed(uow, worker)
    assert [e.event_type for e in handlers.get_timeline(repository, worker.id)] == [
        c.WORKER_REGISTERED,
        c.WORKER_STATUS_CHANGED,
        c.DOCUMENTS_COMPLETED,
        c.WORKER_STATUS_CHANGED,
    ]
    with pytest.raises(NotFound):
        handlers.get_timeline(repository, str(uuid.uuid4()))


def test_stats_count_the_workers(uow, repository):
    register(uow)
    departed(uow)
    stats = handlers.get_stats(repository)
    assert stats["total"] == 2
    assert stats["by_stage"] == {"pre_departure": 1, "abroad": 1}
    assert stats["by_destination_country"] == {"HK": 2}


def test_every_command_and_query_is_in_the_tables():
    assert set(handlers.COMMANDS) == {
        "register_worker",
        "register_former_worker",
        "record_non_procedural_worker",
        "update_worker",
        "record_departure",
        "record_return",
        "withdraw_worker",
        "record_death",
        "extend_contract",
        "change_employer",
        "expect_return",
        "announce_contracts_ending",
        "add_family_member",
        "change_family_member",
        "remove_family_member",
    }
    assert set(handlers.QUERIES) == {
        "get_worker",
        "list_workers",
        "contracts_ending",
        "family_of",
        "worker_events",
        "get_timeline",
        "get_stats",
    }


def test_contacts_of_gives_each_known_worker_s_phone_name_and_status_and_nothing_more(
    uow, repository
):
    siti = register(uow, phone="+6281234500001", full_name="Siti")
    ani = register(uow, phone="+6281234500002", full_name="Ani")
    unknown = str(uuid.uuid4())

    found = handlers.contacts_of(repository, [siti.id, unknown, ani.id, siti.id])

    assert found == {
        siti.id: {"phone": "+6281234500001", "full_name": "Siti", "status": "registered"},
        ani.id: {"phone": "+6281234500002", "full_name": "Ani", "status": "registered"},
    }
