"""A service stopped while its inbox holds a backlog, then started again: nothing is dead-lettered
and every event is applied.

nameko stops a container in phases: its entrypoints first, then it waits for the running workers,
then it stops its dependencies, and its shared extensions (the inbox's consumer) last. A service
that forgot its handlers in the first phase while its consumer still took deliveries dead-lettered
them as "has no handler". The test makes that moment happen every time instead of by chance: the
batches under way when the stop begins finish only once the entrypoints have stopped (their acks
let the broker deliver more of the backlog), and the stop is held before the inbox's consumer
stops until either those deliveries have reached the dead letters or the inbox has stopped
consuming."""

from __future__ import annotations

import uuid

import eventlet
import pytest
from eventlet.event import Event
from kombu import Connection
from nameko.extensions import DependencyProvider
from sqlalchemy import create_engine, text

from pmi_common import contract as c
from pmi_common.inbox import BATCH_METHOD
from pmi_common.topology import dead_letter_queue, declare_topology, inbox_queue
from services.orientation.service import OrientationService
from tests.events import REGISTERED_V2, envelope, publish
from tests.helpers import queue_depth, take_message, wait_for

EVENTS = 40
INBOX = inbox_queue(c.ORIENTATION)
DEAD_LETTERS = dead_letter_queue(c.ORIENTATION)
RPC_QUEUE = f"rpc-{c.ORIENTATION}"


class Gates:
    """Where the test holds the service: its batches, and its stop before the inbox stops."""

    def __init__(self):
        self.batches = Event()  # batches run once sent
        self.batches_held = 0
        self.stop = Event()  # the dependencies' stop returns once sent


class Holds(DependencyProvider):
    def __init__(self, gates: Gates):
        self.gates = gates

    def worker_setup(self, worker_ctx):
        if worker_ctx.entrypoint.method_name == BATCH_METHOD and not self.gates.batches.ready():
            self.gates.batches_held += 1
            self.gates.batches.wait()

    def stop(self):
        self.gates.stop.wait()


@pytest.fixture
def database(database_urls):
    engine = create_engine(database_urls[c.ORIENTATION])
    yield engine
    engine.dispose()


def registered(worker_id: str) -> dict:
    return envelope(
        c.WORKER_REGISTERED,
        worker_id,
        {
            "nik_masked": "350512******0001",
            "nik_digest": "0" * 64,
            "full_name": "Siti Aminah",
            "sex": "F",
            "regency": "Blitar",
            "destination_country": "HK",
            "occupation": "caregiver",
            "placement_agency": "PT Sinar Jaya",
            "cycle": 1,
            **REGISTERED_V2,
        },
    )


def consumers(amqp_uri: str, queue: str) -> int:
    with Connection(amqp_uri) as connection:
        return connection.channel().queue_declare(queue, passive=True)[2]


def applied(database) -> int:
    with database.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM inbox")).scalar()


def dead_letter_reasons(amqp_uri: str) -> list[str]:
    reasons = []
    while (message := take_message(amqp_uri, DEAD_LETTERS)) is not None:
        reasons.append(str(message.headers.get("x-error")))
    return reasons


def stopping_with_a_backlog(container_factory, config, amqp: str) -> tuple[Gates, object]:
    """Orientation started on a backlog of ``EVENTS`` and asked to stop while batches of it are
    held under way (send ``gates.batches``), its entrypoints stopped; its stop is held before the
    inbox's consumer stops (send ``gates.stop``). The gates, and the greenthread stopping it."""
    declare_topology(amqp)
    for _ in range(EVENTS):
        publish(amqp, registered(str(uuid.uuid4())))
    gates = Gates()

    class HeldOrientation(OrientationService):
        holds = Holds(gates)

    container = container_factory(HeldOrientation, config)
    container.start()
    wait_for(lambda: gates.batches_held, message="a batch under way")
    stopping = eventlet.spawn(container.stop)
    wait_for(lambda: consumers(amqp, RPC_QUEUE) == 0, message="the entrypoints stopped")
    return gates, stopping


@pytest.fixture
def config(config_for):
    # one event a batch: the inbox takes 10 at a time (its prefetch), the rest wait in the queue
    return config_for(c.ORIENTATION, EVENT_BATCH_SIZE=1)


def test_a_service_stopped_with_a_backlog_and_started_again_dead_letters_nothing(
    container_factory, config, rabbit_config, database
):
    amqp = rabbit_config["AMQP_URI"]
    gates, stopping = stopping_with_a_backlog(container_factory, config, amqp)
    gates.batches.send()  # their acks let the broker deliver more of the backlog
    wait_for(
        lambda: queue_depth(amqp, DEAD_LETTERS) or consumers(amqp, INBOX) == 0,
        timeout=30,
        message="the inbox to stop consuming (or the backlog to reach the dead letters)",
    )
    gates.stop.send()
    stopping.wait()

    container_factory(OrientationService, config).start()
    wait_for(
        lambda: applied(database) + queue_depth(amqp, DEAD_LETTERS) == EVENTS,
        timeout=60,
        message="every event applied or dead-lettered",
    )
    assert dead_letter_reasons(amqp) == []
    assert applied(database) == EVENTS


def test_a_stopping_service_acks_what_it_applied_and_gives_back_the_rest_at_once(
    container_factory, config, rabbit_config, database
):
    """Before its connection closes: what it applied is not delivered again, and what it took
    and did not begin is not left unacknowledged until it has gone."""
    amqp = rabbit_config["AMQP_URI"]
    gates, stopping = stopping_with_a_backlog(container_factory, config, amqp)
    wait_for(
        lambda: queue_depth(amqp, INBOX) == EVENTS - gates.batches_held,
        timeout=30,
        message="what it took and did not begin back in the queue",
    )

    gates.batches.send()
    wait_for(
        lambda: applied(database) == gates.batches_held,
        message="the batches under way when it began to stop applied",
    )
    # a quorum queue counts a cancelled consumer until every delivery it took is settled
    wait_for(
        lambda: consumers(amqp, INBOX) == 0,
        timeout=30,
        message="every delivery the stopping service took acked or given back",
    )
    assert queue_depth(amqp, INBOX) == EVENTS - gates.batches_held
    assert not stopping.dead  # the service has not gone: it is stopping

    gates.stop.send()
    stopping.wait()
    assert queue_depth(amqp, INBOX) == EVENTS - gates.batches_held
    assert queue_depth(amqp, DEAD_LETTERS) == 0
