"""Onboarding partner agencies on the real broker: each reads only its own queue, binds only to the
platform's exchanges, and publishes nowhere."""

from __future__ import annotations

import json
import uuid

import amqp
import pytest
from kombu import Connection

from pmi_common import contract as c
from pmi_common.agencies import (
    Agencies,
    agency_amqp_uri,
    agency_queue,
    agency_user,
    parked_queue,
)
from pmi_common.errors import InvalidInput, NotFound
from pmi_common.management import Management
from tests.events import envelope, publish
from tests.helpers import queue_depth, wait_for


class OnboardedAgencies:
    """Onboards agencies with names unique to this run (users are broker-wide) on the test's
    virtual host, and removes their users afterwards."""

    def __init__(self, management: Management, amqp_uri: str):
        self.management = management
        self.amqp_uri = amqp_uri
        self.registry = Agencies(management, amqp_uri)
        self.names: list[str] = []

    def onboard(self, name: str, events, password: str | None = None):
        unique = name if name in self.names else f"{name}-{uuid.uuid4().hex[:6]}"
        if unique not in self.names:
            self.names.append(unique)
        return self.registry.onboard(unique, events, password)

    def uri(self, subscription) -> str:
        return agency_amqp_uri(self.amqp_uri, subscription.name, subscription.password)

    def remove_all(self) -> None:
        for name in self.names:
            self.management.delete_user(agency_user(name))


@pytest.fixture
def agencies(private_servers, rabbit_config):
    management = Management(private_servers.broker.management_url)
    desk = OnboardedAgencies(management, rabbit_config["AMQP_URI"])
    yield desk
    desk.remove_all()


def take(uri: str, queue: str):
    with Connection(uri) as connection:
        return connection.channel().basic_get(queue, no_ack=True)


def refused(action) -> bool:
    """True when the broker refuses the action for lack of permission (403)."""
    try:
        action()
    except amqp.exceptions.AccessRefused:
        return True
    return False


def publish_as(uri: str, exchange: str, routing_key: str) -> None:
    with Connection(uri) as connection:
        channel = connection.channel()
        channel.basic_publish_confirm(amqp.Message(json.dumps({"forged": True})),
                                      exchange=exchange, routing_key=routing_key,
                                      confirm_timeout=10)


def departed(worker_id: str = "w-1") -> dict:
    return envelope(c.WORKER_DEPARTED, worker_id, {
        "departed_on": "2026-04-01", "destination_country": "HK", "employer": "Chan Tai Man",
        "cycle": 1})


def test_an_agency_receives_the_events_it_chose_in_its_own_queue(agencies, rabbit_config):
    bpjs = agencies.onboard("bpjs", [c.WORKER_DEPARTED])
    event = departed()
    publish(rabbit_config["AMQP_URI"], event)
    publish(rabbit_config["AMQP_URI"], envelope(c.WORKER_RETURNED, "w-1", {
        "returned_on": "2028-03-31", "reason": "contract_ended", "cycle": 1}))

    message = wait_for(lambda: take(agencies.uri(bpjs), bpjs.queue), message="the event")
    assert json.loads(message.body)["event_id"] == event["event_id"]
    assert take(agencies.uri(bpjs), bpjs.queue) is None  # worker_returned was not chosen


def test_an_agency_cannot_read_another_agency_s_queue_nor_publish_to_the_platform(agencies):
    bpjs = agencies.onboard("bpjs", [c.WORKER_DEPARTED])
    imigrasi = agencies.onboard("imigrasi", [c.WORKER_DEPARTED, c.WORKER_RETURNED])
    as_bpjs = agencies.uri(bpjs)

    assert not refused(lambda: take(as_bpjs, bpjs.queue))
    assert refused(lambda: take(as_bpjs, imigrasi.queue))
    assert refused(lambda: take(as_bpjs, "registration.inbox"))
    assert refused(lambda: publish_as(as_bpjs, c.exchange_name(c.REGISTRATION),
                                      c.WORKER_DEPARTED))
    assert refused(lambda: publish_as(as_bpjs, "", imigrasi.queue))
    assert refused(lambda: publish_as(as_bpjs, "", bpjs.queue))


def test_an_agency_binds_only_its_queue_only_to_the_platform_s_exchanges_and_creates_nothing(
        agencies):
    bpjs = agencies.onboard("bpjs", [c.WORKER_DEPARTED])
    imigrasi = agencies.onboard("imigrasi", [c.WORKER_DEPARTED])

    def bind(queue, exchange):
        def action():
            with Connection(agencies.uri(bpjs)) as connection:
                connection.channel().queue_bind(queue, exchange, c.WORKER_RETURNED)
        return action

    def declare(queue):
        def action():
            with Connection(agencies.uri(bpjs)) as connection:
                connection.channel().queue_declare(queue, durable=True)
        return action

    assert not refused(bind(bpjs.queue, c.exchange_name(c.REGISTRATION)))
    assert refused(bind(bpjs.queue, "amq.topic"))
    assert refused(bind(imigrasi.queue, c.exchange_name(c.REGISTRATION)))
    assert refused(declare("bpjs-private"))


def test_onboarding_again_changes_the_subscription_to_exactly_the_types_asked(agencies):
    first = agencies.onboard("disnaker", [c.WORKER_DEPARTED, c.WORKER_RETURNED])
    again = agencies.onboard(first.name, [c.WORKER_RETURNED, c.DOCUMENT_VERIFIED])

    assert again.bound == [c.DOCUMENT_VERIFIED] and again.unbound == [c.WORKER_DEPARTED]
    assert again.password is None  # an existing user keeps its password
    assert agencies.registry.subscription_of(first.name) == tuple(sorted(
        (c.WORKER_RETURNED, c.DOCUMENT_VERIFIED)))
    assert agencies.registry.bindings(first.name) == {
        (c.exchange_name(c.REGISTRATION), c.WORKER_RETURNED),
        (c.exchange_name(c.DOCUMENTS), c.DOCUMENT_VERIFIED)}


def test_offboarding_removes_the_user_and_its_queues(agencies, rabbit_config):
    bp2mi = agencies.onboard("bp2mi", [c.WORKER_DEPARTED])
    publish(rabbit_config["AMQP_URI"], departed())
    wait_for(lambda: queue_depth(rabbit_config["AMQP_URI"], bp2mi.queue) == 1,
             message="the event in the agency's queue")

    dropped = agencies.registry.offboard(bp2mi.name)

    assert dropped == {agency_queue(bp2mi.name): 1, parked_queue(bp2mi.name): 0}
    assert agencies.management.user(bp2mi.user) is None
    assert agencies.registry.queue(bp2mi.name) is None
    assert refused(lambda: take(agencies.uri(bp2mi), bp2mi.queue))
    with pytest.raises(NotFound):
        agencies.registry.subscription_of(bp2mi.name)
    with pytest.raises(NotFound):
        agencies.registry.offboard(bp2mi.name)


def test_an_agency_name_or_event_outside_the_contract_is_refused_and_creates_nothing(agencies):
    with pytest.raises(InvalidInput) as bad_name:
        agencies.registry.onboard("BPJS Kesehatan", [c.WORKER_DEPARTED])
    assert "name" in bad_name.value.details
    with pytest.raises(InvalidInput) as bad_event:
        agencies.registry.onboard("bpjs-x", ["worker_teleported"])
    assert "events" in bad_event.value.details
    assert agencies.management.user(agency_user("bpjs-x")) is None
