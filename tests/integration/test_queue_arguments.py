"""The platform's queues behave the same on RabbitMQ 3.x and 4.x: every queue it declares is a
quorum queue with its delivery limit written down, never the broker's default (none on 3.x, 20
on 4.x, where a dead letter read twenty times would be dropped)."""

from __future__ import annotations

import json
import uuid

import amqp
import pytest
from kombu import Connection

from pmi_common import contract as c
from pmi_common import topology as t
from pmi_common.dead_letters import DeadLetterQueues
from services.agencies import queues as a
from tests.helpers import queue_depth, wait_for

RABBITMQ_4_DEFAULT_LIMIT = 20

# what the platform declares is read from a vhost nothing else declared in
pytestmark = pytest.mark.empty_vhost


def declared(rabbit_manager, rabbit_config) -> dict[str, dict]:
    """Every queue of the test's virtual host, as the broker holds it: name -> arguments."""
    vhost = rabbit_config["vhost"]
    return {queue["name"]: queue["arguments"] for queue in rabbit_manager.get_queues(vhost)}


def test_every_queue_of_the_topology_is_a_quorum_queue_with_its_delivery_limit(
    rabbit_manager, rabbit_config
):
    t.declare_topology(rabbit_config["AMQP_URI"])

    queues = declared(rabbit_manager, rabbit_config)

    assert set(queues) == {spec.name for spec in t.all_queues()}
    for service in t.consuming_services():
        assert queues[t.inbox_queue(service)]["x-delivery-limit"] == t.DELIVERY_LIMIT
        for holding in (t.retry_queue(service), t.dead_letter_queue(service)):
            assert queues[holding]["x-delivery-limit"] == t.HOLDING_DELIVERY_LIMIT
    for name, arguments in queues.items():
        assert arguments["x-queue-type"] == "quorum", name
        assert arguments["x-delivery-limit"] > 0, name  # -1 drops at the first return on 3.x


def test_an_agencys_queues_are_declared_with_their_delivery_limits(rabbit_manager, rabbit_config):
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        channel = connection.channel()
        channel.queue_declare(
            a.parked_queue("bpjs"), durable=True, auto_delete=False, arguments=a.parked_arguments()
        )
        channel.queue_declare(
            a.agency_queue("bpjs"),
            durable=True,
            auto_delete=False,
            arguments=a.queue_arguments("bpjs"),
        )

    queues = declared(rabbit_manager, rabbit_config)

    assert queues[a.agency_queue("bpjs")]["x-delivery-limit"] == a.AGENCY_DELIVERY_LIMIT
    assert queues[a.parked_queue("bpjs")]["x-delivery-limit"] == t.HOLDING_DELIVERY_LIMIT


def test_a_dead_letter_read_more_often_than_rabbitmq_4s_default_limit_is_still_there(
    rabbit_config,
):
    uri = rabbit_config["AMQP_URI"]
    t.declare_topology(uri)
    dead = t.dead_letter_queue(c.REGISTRATION)
    event_id = str(uuid.uuid4())
    with Connection(uri) as connection:
        connection.channel().basic_publish(
            amqp.Message(json.dumps({"event_id": event_id}), delivery_mode=2),
            exchange="",
            routing_key=dead,
        )
    wait_for(lambda: queue_depth(uri, dead) == 1, message="the dead letter")
    queues = DeadLetterQueues(uri)

    for _ in range(RABBITMQ_4_DEFAULT_LIMIT + 5):  # each reading takes it and gives it back
        letters = wait_for(lambda: queues.peek(dead), message="the dead letter, again")
        assert [letter.event_id for letter in letters] == [event_id]


def taken_again(channel, inbox: str, uri: str, dead: str):
    """The message, back in the inbox and taken; or None once it has been dead-lettered."""
    found = wait_for(
        lambda: channel.basic_get(inbox, no_ack=False) or queue_depth(uri, dead),
        message="the message back in the inbox, or dead-lettered",
    )
    return None if isinstance(found, int) else found


def test_a_message_that_keeps_coming_back_to_an_inbox_is_dead_lettered_at_its_limit(
    rabbit_config,
):
    uri = rabbit_config["AMQP_URI"]
    t.declare_topology(uri)
    inbox, dead = t.inbox_queue(c.REGISTRATION), t.dead_letter_queue(c.REGISTRATION)
    returns = 0
    with Connection(uri) as connection:
        connection.channel().basic_publish(
            amqp.Message(b"{}", delivery_mode=2), exchange="", routing_key=inbox
        )
        while returns <= t.DELIVERY_LIMIT + 1:
            channel = connection.channel()
            message = taken_again(channel, inbox, uri, dead)
            if message is None:
                break
            channel.basic_reject(message.delivery_tag, requeue=True)
            channel.close()
            returns += 1

    assert returns == t.DELIVERY_LIMIT + 1
    assert queue_depth(uri, dead) == 1 and queue_depth(uri, inbox) == 0
