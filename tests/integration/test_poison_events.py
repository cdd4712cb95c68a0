"""Malformed and poison events: dead-lettered with a reason after bounded retries, never looping,
never crashing the consumer, never half-applied."""

import json

import pytest
from sqlalchemy import create_engine, text

from pmi_common import contract as c
from services.registration.service import RegistrationService
from tests.conftest import FAST_RETRIES
from tests.events import envelope, publish
from tests.helpers import take_message, wait_for, worker_payload
from tests.integration.test_registration_service import call, status_of


@pytest.fixture
def registration(container_factory, config_for):
    container = container_factory(RegistrationService, config_for("registration"))
    container.start()
    return container


def dead_letter(amqp_uri):
    return wait_for(
        lambda: take_message(amqp_uri, "registration.dead-letter"), message="a dead letter"
    )


def completed(worker_id, **overrides):
    return envelope(
        c.DOCUMENTS_COMPLETED,
        worker_id,
        {"document_ids": ["d"], "earliest_expiry": None},
        sequence=5,
        **overrides,
    )


@pytest.mark.parametrize(
    "broken,reason",
    [
        (lambda e: {k: v for k, v in e.items() if k != "event_id"}, "event_id"),
        (lambda e: {**e, "event_version": 7}, "version 7"),
        (lambda e: {**e, "data": {"document_ids": "not a list"}}, "invalid documents_completed"),
        (lambda e: {**e, "source": "orientation"}, "comes from documents"),
        (lambda e: [e], "not an object"),
    ],
)
def test_an_event_that_breaks_the_contract_is_dead_lettered_at_once_with_the_reason(
    registration, rabbit_config, broken, reason
):
    amqp = rabbit_config["AMQP_URI"]
    worker = call(registration, "register_worker", worker_payload())
    body = broken(completed(worker["id"]))
    publish(
        amqp,
        None,
        routing_key=c.DOCUMENTS_COMPLETED,
        source=c.DOCUMENTS,
        raw=json.dumps(body).encode(),
    )

    message = dead_letter(amqp)

    assert reason in message.headers["x-error"]
    assert message.headers["x-attempts"] == 0
    assert message.headers["x-original-routing-key"] == c.DOCUMENTS_COMPLETED
    assert status_of(registration, worker["id"]) == "registered"
    # the consumer is still alive: a good event right after is applied
    publish(amqp, completed(worker["id"]))
    wait_for(lambda: status_of(registration, worker["id"]) == "documents_verified")


def test_an_event_for_an_unknown_worker_is_retried_then_dead_lettered_changing_nothing(
    registration, rabbit_config, database_urls
):
    amqp = rabbit_config["AMQP_URI"]
    publish(amqp, completed("3f0b8f8e-0000-4000-8000-000000000000"))

    message = dead_letter(amqp)

    assert "NotFound" in message.headers["x-error"]
    assert message.headers["x-attempts"] == len(FAST_RETRIES) + 1
    engine = create_engine(database_urls["registration"])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM inbox")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM timeline")).scalar() == 0
    engine.dispose()
    assert take_message(amqp, "registration.dead-letter") is None  # dead-lettered once, no loop
