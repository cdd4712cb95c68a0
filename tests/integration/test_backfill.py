"""An agency that joins late asks for history: the services send it from their own outbox, in
order, to that agency's queue only."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import create_engine, text

from pmi_common import contract as c
from pmi_common.errors import InvalidInput, NotFound
from pmi_common.operations import ServiceOperations
from services.registration.service import RegistrationService
from tests.helpers import Subscriber, wait_for, worker_payload
from tests.integration.test_agencies import agencies  # noqa: F401 - the fixture

LIFECYCLE = [c.WORKER_REGISTERED, c.WORKER_STATUS_CHANGED]


class Registration(RegistrationService, ServiceOperations):
    """The registration service with the operations every service inherits."""


@pytest.fixture
def registration(container_factory, config_for):
    container = container_factory(Registration, config_for("registration"))
    container.start()
    return container


@pytest.fixture
def earlier_subscriber(rabbit_config):
    subscriber = Subscriber(rabbit_config["AMQP_URI"], c.exchange_name(c.REGISTRATION))
    yield subscriber
    subscriber.close()


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def all_published(database_url: str) -> bool:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        waiting = conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
        result = waiting.scalar() == 0
    engine.dispose()
    return result


def drain(amqp_uri: str, queue: str) -> list[dict]:
    from kombu import Connection

    bodies = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            bodies.append(json.loads(message.body))
    return bodies


def register_and_publish(registration, database_urls) -> dict:
    worker = call(registration, "register_worker", worker_payload())
    wait_for(lambda: all_published(database_urls["registration"]), message="events published")
    return worker


def test_a_late_agency_gets_the_history_it_asks_for_in_order_and_nobody_else_gets_it_again(
        registration, agencies, earlier_subscriber, database_urls, rabbit_config):  # noqa: F811
    first = register_and_publish(registration, database_urls)
    between = dt.datetime.now(dt.UTC)
    second = register_and_publish(registration, database_urls)
    earlier_subscriber.wait_for(lambda messages: len(messages) == 4)
    late = agencies.onboard("bpjs", LIFECYCLE)

    today = dt.datetime.now(dt.UTC).date().isoformat()
    sent = agencies.registry.backfill(late.name, LIFECYCLE, today)

    assert sent == {c.REGISTRATION: 4}
    history = drain(rabbit_config["AMQP_URI"], late.queue)
    assert [(e["worker_id"], e["sequence"]) for e in history] == [
        (first["id"], 1), (first["id"], 2), (second["id"], 1), (second["id"], 2)]
    assert [e["event_id"] for e in history] == [
        e["event_id"] for e in earlier_subscriber.drain()]  # the same events, unchanged
    assert len(earlier_subscriber.drain()) == 4  # and the earlier subscriber got no repeat

    sent = agencies.registry.backfill(late.name, [c.WORKER_REGISTERED], between.isoformat())
    assert sent == {c.REGISTRATION: 1}
    assert [e["worker_id"] for e in drain(rabbit_config["AMQP_URI"], late.queue)] == [
        second["id"]]


def test_history_goes_only_to_an_agency_s_queue_and_only_of_the_service_s_own_events(
        registration, agencies):  # noqa: F811
    late = agencies.onboard("bpjs", LIFECYCLE)
    for queue in ("registration.inbox", "agency.bpjs.inbox", ""):
        with pytest.raises(InvalidInput) as refused:
            call(registration, "backfill", queue, LIFECYCLE, "2026-01-01")
        assert "queue" in refused.value.details
    with pytest.raises(InvalidInput) as refused:
        call(registration, "backfill", late.queue, [c.DOCUMENT_VERIFIED], "2026-01-01")
    assert "event_types" in refused.value.details
    with pytest.raises(InvalidInput) as refused:
        call(registration, "backfill", late.queue, LIFECYCLE, "yesterday")
    assert "since" in refused.value.details
    with pytest.raises(NotFound):
        call(registration, "backfill", "agency.nobody.events", LIFECYCLE, "2026-01-01")


def test_an_agency_gets_history_only_of_the_events_it_receives(agencies):  # noqa: F811
    late = agencies.onboard("bpjs", [c.WORKER_DEPARTED])
    with pytest.raises(InvalidInput) as refused:
        agencies.registry.backfill(late.name, [c.WORKER_REGISTERED], "2026-01-01")
    assert c.WORKER_REGISTERED in refused.value.details["events"][0]
    with pytest.raises(NotFound):
        agencies.registry.backfill("never-onboarded", [c.WORKER_DEPARTED], "2026-01-01")
