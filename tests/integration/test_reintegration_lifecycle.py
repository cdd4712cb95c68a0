"""Reintegration and registration together: a returnee's status moves by reintegration's events;
a prospective worker's participation only shows on their timeline."""

import datetime as dt

import pytest

from pmi_common import contract as c
from services.registration.service import RegistrationService
from services.reintegration.service import ReintegrationService
from tests.events import envelope, publish
from tests.helpers import wait_for, worker_payload
from tests.integration.test_reintegration_service import call, kind_of, program_payload

BUSINESS = {
    "business_started": True,
    "business_name": "Ternak Lele Mandiri",
    "sector": "aquaculture",
    "regency": "Blitar",
}


@pytest.fixture
def services(container_factory, config_for):
    registration = container_factory(RegistrationService, config_for("registration"))
    reintegration = container_factory(ReintegrationService, config_for("reintegration"))
    registration.start()
    reintegration.start()
    return registration, reintegration


def status_of(registration, worker_id):
    return call(registration, "get_worker", worker_id)["status"]


def timeline_types(registration, worker_id):
    return [entry["event_type"] for entry in call(registration, "get_timeline", worker_id)]


def returned_worker(registration, amqp_uri) -> str:
    """A worker taken through registration, clearance, departure and return."""
    worker_id = call(registration, "register_worker", worker_payload())["id"]
    publish(
        amqp_uri,
        envelope(
            c.DOCUMENTS_COMPLETED, worker_id, {"document_ids": ["d1"], "earliest_expiry": None}
        ),
    )
    publish(
        amqp_uri,
        envelope(
            c.ORIENTATION_COMPLETED,
            worker_id,
            {
                "session_id": "s1",
                "certificate_number": "OPP-1",
                "completed_at": dt.datetime.now(dt.UTC).isoformat(),
            },
        ),
    )
    wait_for(
        lambda: status_of(registration, worker_id) == "orientation_completed",
        message="orientation completed",
    )
    call(registration, "update_worker", worker_id, {"bpjs_number": "12345678901"})
    call(
        registration,
        "record_departure",
        worker_id,
        {"departed_on": "2024-01-10", "destination_country": "HK", "employer": "Mr Chan"},
    )
    call(
        registration,
        "record_return",
        worker_id,
        {"returned_on": "2026-01-10", "reason": "contract_ended"},
    )
    return worker_id


def test_a_returnee_moves_to_in_reintegration_on_enrolment_and_reintegrated_on_completion(
    services, rabbit_config
):
    registration, reintegration = services
    program = call(reintegration, "create_program", program_payload(audience="returnee"))
    worker_id = returned_worker(registration, rabbit_config["AMQP_URI"])
    wait_for(lambda: kind_of(reintegration, worker_id) == "returnee", message="returnee known")
    assert [p["id"] for p in call(reintegration, "invitations", worker_id)["programs"]] == [
        program["id"]
    ]

    call(reintegration, "enrol_participant", program["id"], {"worker_id": worker_id})
    wait_for(
        lambda: status_of(registration, worker_id) == "in_reintegration", message="in reintegration"
    )
    call(reintegration, "complete_participant", program["id"], {"worker_id": worker_id, **BUSINESS})
    wait_for(lambda: status_of(registration, worker_id) == "reintegrated", message="reintegrated")
    assert call(reintegration, "get_stats")["returnees_with_business"] == 1


def test_a_prospective_workers_participation_shows_on_the_timeline_without_a_status_change(
    services,
):
    registration, reintegration = services
    program = call(reintegration, "create_program", program_payload(audience="both"))
    worker_id = call(registration, "register_worker", worker_payload())["id"]
    wait_for(
        lambda: kind_of(reintegration, worker_id) == "prospective", message="prospective known"
    )

    enrolled = call(reintegration, "enrol_participant", program["id"], {"worker_id": worker_id})
    assert enrolled["participant_kind"] == "prospective"
    call(
        reintegration,
        "record_round_result",
        program["id"],
        {"worker_id": worker_id, "round": 1, "advanced": True, "score": 77},
    )
    call(reintegration, "complete_participant", program["id"], {"worker_id": worker_id, **BUSINESS})
    participation = {
        c.REINTEGRATION_ENROLLED,
        c.REINTEGRATION_ROUND_RECORDED,
        c.REINTEGRATION_COMPLETED,
    }
    wait_for(
        lambda: participation <= set(timeline_types(registration, worker_id)),
        message="the participation on the timeline",
    )

    assert status_of(registration, worker_id) == "registered"


def participation(event_type, worker_id, program_id, **overrides):
    data = {"program_id": program_id, "participant_kind": "prospective"}
    if event_type == c.REINTEGRATION_COMPLETED:
        data.update(BUSINESS, awarded=True)
    return envelope(
        event_type,
        worker_id,
        data,
        sequence=overrides.pop("sequence", 1),
        source=c.REINTEGRATION,
        **overrides,
    )


def test_a_participation_recorded_after_the_return_is_a_returnees_even_if_called_prospective(
    container_factory, config_for, rabbit_config
):
    """Reintegration may not have heard of a return when the desk enrols the worker right after
    recording it: registration, which holds the return, moves the worker on all the same."""
    registration = container_factory(RegistrationService, config_for("registration"))
    registration.start()
    amqp = rabbit_config["AMQP_URI"]
    worker_id = returned_worker(registration, amqp)

    publish(amqp, participation(c.REINTEGRATION_ENROLLED, worker_id, "p1"))
    wait_for(
        lambda: status_of(registration, worker_id) == "in_reintegration", message="in reintegration"
    )
    publish(amqp, participation(c.REINTEGRATION_COMPLETED, worker_id, "p1", sequence=2))
    wait_for(lambda: status_of(registration, worker_id) == "reintegrated", message="reintegrated")


def test_a_prospective_participation_from_before_the_return_moves_nothing(
    container_factory, config_for, rabbit_config
):
    registration = container_factory(RegistrationService, config_for("registration"))
    registration.start()
    amqp = rabbit_config["AMQP_URI"]
    before = (dt.datetime.now(dt.UTC) - dt.timedelta(days=400)).isoformat()
    worker_id = returned_worker(registration, amqp)

    publish(amqp, participation(c.REINTEGRATION_ENROLLED, worker_id, "p0", occurred_at=before))
    wait_for(
        lambda: c.REINTEGRATION_ENROLLED in timeline_types(registration, worker_id),
        message="the participation on the timeline",
    )
    assert status_of(registration, worker_id) == "returned"
