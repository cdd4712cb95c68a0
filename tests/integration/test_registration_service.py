"""The registration service on the real broker and database."""

import datetime as dt

import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import create_engine, text

from pmi_common import contract as c
from pmi_common.clock import Clock, FixedClock, district_date
from pmi_common.errors import DuplicateRegistration, InvalidInput, TransitionRefused
from services.registration.service import RegistrationService
from tests.events import envelope, publish
from tests.helpers import Subscriber, take_message, wait_for, worker_payload


@pytest.fixture
def registration(container_factory, config_for):
    container = container_factory(RegistrationService, config_for("registration"))
    container.start()
    return container


@pytest.fixture
def agency(rabbit_config):
    subscriber = Subscriber(rabbit_config["AMQP_URI"], c.exchange_name(c.REGISTRATION))
    yield subscriber
    subscriber.close()


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def status_of(container, worker_id):
    return call(container, "get_worker", worker_id)["status"]


def test_registration_is_stored_and_announced_with_a_masked_nik(registration, agency):
    payload = worker_payload()
    worker = call(registration, "register_worker", payload)

    assert worker["status"] == "registered" and worker["stage"] == "pre_departure"
    events = agency.wait_for(lambda msgs: len(msgs) >= 2)
    assert [e["event_type"] for e in events] == [c.WORKER_REGISTERED, c.WORKER_STATUS_CHANGED]
    assert [e["sequence"] for e in events] == [1, 2]
    registered = events[0]
    assert registered["worker_id"] == worker["id"]
    assert payload["nik"] not in str(events)
    assert registered["data"]["nik_masked"] == payload["nik"][:6] + "******" + payload["nik"][-4:]


def test_a_second_active_registration_of_a_nik_is_refused_naming_the_worker(registration):
    payload = worker_payload()
    first = call(registration, "register_worker", payload)
    with pytest.raises(DuplicateRegistration) as refused:
        call(registration, "register_worker", payload)
    assert refused.value.details["worker_id"] == first["id"]


def test_invalid_registration_names_each_field_and_changes_nothing(registration, database_urls):
    with pytest.raises(InvalidInput) as refused:
        call(
            registration,
            "register_worker",
            worker_payload(nik="3505120000000000", phone="call me", destination_country="XX"),
        )
    assert set(refused.value.details) >= {"nik", "phone", "destination_country"}
    engine = create_engine(database_urls["registration"])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM workers")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar() == 0
    engine.dispose()


def test_status_moves_by_documents_events_and_a_redelivery_changes_nothing(
    registration, rabbit_config
):
    worker = call(registration, "register_worker", worker_payload())
    completed = envelope(
        c.DOCUMENTS_COMPLETED,
        worker["id"],
        {"document_ids": ["d1"], "earliest_expiry": None},
        sequence=9,
    )
    publish(rabbit_config["AMQP_URI"], completed)
    publish(rabbit_config["AMQP_URI"], completed)  # at-least-once delivery: the same event again
    wait_for(lambda: status_of(registration, worker["id"]) == "documents_verified")

    stale = envelope(
        c.DOCUMENT_REJECTED,
        worker["id"],
        {
            "document_id": "d0",
            "document_type": "passport",
            "reason": "blurred",
            "checklist_complete": False,
        },
        sequence=4,
    )
    publish(rabbit_config["AMQP_URI"], stale)  # older than the completion: timeline only
    wait_for(lambda: len(call(registration, "get_timeline", worker["id"])) >= 5)
    timeline = call(registration, "get_timeline", worker["id"])
    assert [e["event_type"] for e in timeline].count(c.DOCUMENTS_COMPLETED) == 1
    assert status_of(registration, worker["id"]) == "documents_verified"


def test_departure_before_clearance_is_refused_with_what_is_missing(registration):
    worker = call(registration, "register_worker", worker_payload())
    with pytest.raises(TransitionRefused) as refused:
        call(
            registration,
            "record_departure",
            worker["id"],
            {"departed_on": "2026-12-01", "destination_country": "HK", "employer": "Mr Chan"},
        )
    assert refused.value.details["missing"] == [
        "documents_verified",
        "orientation_completed",
        "bpjs_number",
    ]


def test_a_malformed_event_is_dead_lettered_with_its_reason(registration, rabbit_config):
    publish(
        rabbit_config["AMQP_URI"],
        None,
        routing_key=c.DOCUMENTS_COMPLETED,
        source=c.DOCUMENTS,
        raw=b"{not json",
        content_type="application/json",
    )
    message = wait_for(
        lambda: take_message(rabbit_config["AMQP_URI"], "registration.dead-letter"),
        message="a dead letter",
    )
    assert "undecodable" in message.headers["x-error"]
    assert message.body in (b"{not json", "{not json")


def clear_for_departure(registration, rabbit_config, earliest_expiry) -> dict:
    """A registered worker whose documents (valid through ``earliest_expiry``), orientation and
    BPJS number are all on file."""
    worker = call(registration, "register_worker", worker_payload())
    uri = rabbit_config["AMQP_URI"]
    publish(
        uri,
        envelope(
            c.DOCUMENTS_COMPLETED,
            worker["id"],
            {"document_ids": ["d1"], "earliest_expiry": earliest_expiry},
            sequence=9,
        ),
    )
    publish(
        uri,
        envelope(
            c.ORIENTATION_COMPLETED,
            worker["id"],
            {
                "session_id": "s1",
                "certificate_number": "OPP-1",
                "completed_at": "2026-11-01T09:00:00Z",
            },
        ),
    )
    call(registration, "update_worker", worker["id"], {"bpjs_number": "12345678901"})
    wait_for(lambda: status_of(registration, worker["id"]) == "cleared_for_departure")
    return worker


def district_today():
    return district_date(dt.datetime.now(dt.UTC))


def test_a_document_expiring_before_the_departure_date_refuses_the_departure(
    registration, rabbit_config
):
    today = district_today()
    worker = clear_for_departure(registration, rabbit_config, today + dt.timedelta(days=10))
    departure = {
        "departed_on": (today + dt.timedelta(days=11)).isoformat(),
        "destination_country": "HK",
        "employer": "Mr Chan",
    }

    with pytest.raises(TransitionRefused) as refused:
        call(registration, "record_departure", worker["id"], departure)

    assert refused.value.details["documents_valid_until"] == str(today + dt.timedelta(days=10))
    assert status_of(registration, worker["id"]) == "cleared_for_departure"
    on_time = {**departure, "departed_on": (today + dt.timedelta(days=10)).isoformat()}
    assert call(registration, "record_departure", worker["id"], on_time)["status"] == "departed"


def test_documents_already_lapsed_keep_the_worker_from_clearance(registration, rabbit_config):
    worker = call(registration, "register_worker", worker_payload())
    yesterday = district_today() - dt.timedelta(days=1)
    publish(
        rabbit_config["AMQP_URI"],
        envelope(
            c.DOCUMENTS_COMPLETED,
            worker["id"],
            {"document_ids": ["d1"], "earliest_expiry": yesterday},
            sequence=9,
        ),
    )
    wait_for(lambda: len(call(registration, "get_timeline", worker["id"])) >= 3)
    assert status_of(registration, worker["id"]) == "registered"


def test_departure_far_ahead_and_a_return_in_the_future_are_refused(registration, rabbit_config):
    today = district_today()
    worker = clear_for_departure(registration, rabbit_config, today + dt.timedelta(days=400))

    with pytest.raises(InvalidInput) as far:
        call(
            registration,
            "record_departure",
            worker["id"],
            {
                "departed_on": (today + dt.timedelta(days=91)).isoformat(),
                "destination_country": "HK",
                "employer": "Mr Chan",
            },
        )
    assert "within 90 days" in str(far.value.details["departed_on"])
    call(
        registration,
        "record_departure",
        worker["id"],
        {"departed_on": today.isoformat(), "destination_country": "HK", "employer": "Mr Chan"},
    )
    with pytest.raises(InvalidInput) as future:
        call(
            registration,
            "record_return",
            worker["id"],
            {"returned_on": (today + dt.timedelta(days=1)).isoformat(), "reason": "contract_ended"},
        )
    assert "future" in str(future.value.details["returned_on"])
    assert status_of(registration, worker["id"]) == "departed"


def test_an_age_turns_on_the_district_day_not_the_utc_day(container_factory, config_for):
    # 2026-05-31 18:00 UTC is already 1 June in Blitar (WIB, UTC+7)
    at = dt.datetime(2026, 5, 31, 18, 0, tzinfo=dt.UTC)
    container = container_factory(RegistrationService, config_for("registration"))
    next(d for d in container.dependencies if isinstance(d, Clock)).clock = FixedClock(at)
    container.start()
    eighteen_today = dt.date(2008, 6, 1)

    worker = call(container, "register_worker", worker_payload(birth_date=eighteen_today))

    assert worker["birth_date"] == "2008-06-01"
    container.stop()
    container = container_factory(
        RegistrationService, config_for("registration", DISTRICT_TIMEZONE="Europe/London")
    )
    next(d for d in container.dependencies if isinstance(d, Clock)).clock = FixedClock(
        at, "Europe/London"
    )
    container.start()
    with pytest.raises(InvalidInput) as refused:
        call(container, "register_worker", worker_payload(birth_date=eighteen_today))
    assert "18 or older" in str(refused.value.details["birth_date"])
