"""An agency that stops reading never fills the broker: its queue is bounded in length and bytes,
and what overflows moves, oldest first, to its parked queue."""

from __future__ import annotations

import json
import uuid

import amqp
import pytest
from kombu import Connection

from pmi_common import contract as c
from services.agencies import queues as a
from tests.helpers import queue_depth
from tests.integration.test_agencies import agencies  # noqa: F401 - the fixture


@pytest.fixture
def onboard(agencies):  # noqa: F811 - the fixture imported above
    """``onboard("bpjs")``: an agency onboarded for ``worker_departed``, its name unique."""

    def make(prefix: str) -> str:
        return agencies.onboard(prefix, [c.WORKER_DEPARTED]).name

    return make


def fill(amqp_uri: str, queue: str, count: int) -> list[str]:
    """What the platform's delivery puts into an agency's queue: ``count`` events, confirmed."""
    ids = [str(uuid.uuid4()) for _ in range(count)]
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        for event_id in ids:
            body = json.dumps({"event_id": event_id, "event_type": c.WORKER_DEPARTED})
            channel.basic_publish_confirm(
                amqp.Message(body, delivery_mode=2),
                exchange="",
                routing_key=queue,
                confirm_timeout=10,
            )
    return ids


def drain(amqp_uri: str, queue: str) -> list[str]:
    taken = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            taken.append(json.loads(message.body)["event_id"])
    return taken


def test_a_full_agency_queue_parks_its_oldest_events(onboard, rabbit_config, monkeypatch):
    monkeypatch.setattr(a, "AGENCY_QUEUE_MAX_LENGTH", 3)
    name = onboard("bpjs")
    amqp_uri = rabbit_config["AMQP_URI"]

    sent = fill(amqp_uri, a.agency_queue(name), 5)

    assert queue_depth(amqp_uri, a.agency_queue(name)) == 3
    assert drain(amqp_uri, a.agency_queue(name)) == sent[2:]
    assert drain(amqp_uri, a.parked_queue(name)) == sent[:2]  # nothing lost on the way


def test_a_full_agency_queue_is_bounded_in_bytes_too(onboard, rabbit_config, monkeypatch):
    monkeypatch.setattr(a, "AGENCY_QUEUE_MAX_BYTES", 300)  # about three events of ~90 bytes
    name = onboard("imigrasi")
    amqp_uri = rabbit_config["AMQP_URI"]

    sent = fill(amqp_uri, a.agency_queue(name), 10)

    kept = drain(amqp_uri, a.agency_queue(name))
    assert 0 < len(kept) < 10 and kept == sent[-len(kept) :]
