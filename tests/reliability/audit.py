"""After a fault-injection run: was anything lost, or applied twice?"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field

from kombu import Connection, Exchange, Queue
from sqlalchemy import create_engine, text

from pmi_common import contract as c

AUDIT_QUEUE = "faults-audit"


def declare_audit_queue(amqp_uri: str) -> None:
    """An outside subscriber's durable queue on every exchange, declared before anything runs."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        queue = Queue(
            AUDIT_QUEUE, durable=True, channel=channel, queue_arguments={"x-queue-type": "quorum"}
        )
        queue.declare()
        for service in c.SERVICES:
            exchange = Exchange(
                c.exchange_name(service), type="topic", durable=True, channel=channel
            )
            exchange.declare()
            channel.queue_bind(AUDIT_QUEUE, exchange=exchange.name, routing_key="#")


def drain_audit_queue(amqp_uri: str) -> list[dict]:
    received = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        while True:
            message = channel.basic_get(AUDIT_QUEUE, no_ack=True)
            if message is None:
                break
            received.append(json.loads(message.body))
    return received


def receive_audit_events(amqp_uri: str, expected: set[str], timeout: float = 30) -> list[dict]:
    """What the outside subscriber received, drained until every ``expected`` event id has
    arrived (published is not yet delivered) or ``timeout`` seconds have passed."""
    received = drain_audit_queue(amqp_uri)
    deadline = time.monotonic() + timeout
    while not expected <= {e["event_id"] for e in received} and time.monotonic() < deadline:
        time.sleep(0.2)
        received += drain_audit_queue(amqp_uri)
    return received


def outbox_envelopes(urls: dict) -> tuple[list[dict], int]:
    """Every event the services recorded, and how many are still unpublished."""
    envelopes, unpublished = [], 0
    for service in c.SERVICES:
        engine = create_engine(urls[service])
        with engine.connect() as conn:
            for envelope, published_at in conn.execute(
                text("SELECT envelope, published_at FROM outbox ORDER BY id")
            ):
                envelopes.append(envelope if isinstance(envelope, dict) else json.loads(envelope))
                unpublished += published_at is None
        engine.dispose()
    return envelopes, unpublished


def recorded_and_received(urls: dict, amqp_uri: str) -> tuple[list[dict], list[dict]]:
    """Every event the services recorded, and what the outside subscriber received of them.

    The outboxes are read again after the subscriber's queue is drained: the platform may still
    record an event once the outboxes are empty (a delivery retried after a fault, a reaction
    off the journeys' path), and an event received must be in the outboxes read after it was
    received, or it was published without being recorded. Read again until they hold nothing
    new."""
    recorded, _ = outbox_envelopes(urls)
    received: list[dict] = []
    while True:
        awaited = {e["event_id"] for e in recorded} - {e["event_id"] for e in received}
        received += receive_audit_events(amqp_uri, awaited)
        again, _ = outbox_envelopes(urls)
        if len(again) == len(recorded):
            return again, received
        recorded = again


def wait_drained(urls: dict, timeout: float = 300) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        _, unpublished = outbox_envelopes(urls)
        if unpublished == 0:
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"outboxes still hold unpublished events after {timeout}s")


@dataclass
class Findings:
    workers: int
    final_statuses: Counter
    events_recorded: int
    events_received: int
    lost: int
    duplicates_on_wire: int
    duplicated_effects: list = field(default_factory=list)
    dead_letters: dict = field(default_factory=dict)


# Effects that must happen exactly once per worker in a run without regressions.
ONCE_PER_WORKER = (
    (c.DOCUMENTS_COMPLETED, None),
    (c.ORIENTATION_ENROLLED, None),
    (c.ORIENTATION_COMPLETED, None),
    (c.REINTEGRATION_ENROLLED, None),
    (c.REINTEGRATION_COMPLETED, None),
    (c.WORKER_DEPARTED, None),
    (c.WORKER_RETURNED, None),
)


def audit(
    urls: dict, amqp_uri: str, worker_ids: list[str], statuses: dict[str, str], dead_letters: dict
) -> Findings:
    recorded, received = recorded_and_received(urls, amqp_uri)
    recorded_ids = {e["event_id"] for e in recorded}
    received_ids = Counter(e["event_id"] for e in received)
    effects = []
    mine = set(worker_ids)
    per_worker = Counter(
        (e["worker_id"], e["event_type"]) for e in recorded if e["worker_id"] in mine
    )
    for worker_id in worker_ids:
        for event_type, _ in ONCE_PER_WORKER:
            if per_worker[(worker_id, event_type)] != 1:
                effects.append((worker_id, event_type, per_worker[(worker_id, event_type)]))
        verified = per_worker[(worker_id, c.DOCUMENT_VERIFIED)]
        if verified != 8:
            effects.append((worker_id, c.DOCUMENT_VERIFIED, verified))
    changes = Counter(
        (e["worker_id"], e["data"]["to_status"])
        for e in recorded
        if e["event_type"] == c.WORKER_STATUS_CHANGED and e["worker_id"] in mine
    )
    effects += [(w, f"status {s}", n) for (w, s), n in changes.items() if n != 1]
    effects += _timeline_duplicates(urls["registration"])
    return Findings(
        workers=len(worker_ids),
        final_statuses=Counter(statuses.values()),
        events_recorded=len(recorded_ids),
        events_received=len(received_ids),
        lost=len(recorded_ids - set(received_ids)),
        duplicates_on_wire=sum(n - 1 for n in received_ids.values()),
        duplicated_effects=effects,
        dead_letters=dead_letters,
    )


def _timeline_duplicates(url: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT worker_id, event_id, count(*) FROM timeline WHERE event_id IS NOT NULL "
                "GROUP BY worker_id, event_id HAVING count(*) > 1"
            )
        ).all()
    engine.dispose()
    return [(w, f"timeline {e}", n) for w, e, n in rows]


def status_orders(urls: dict, worker_ids: list[str]) -> dict[str, list[str]]:
    """Each worker's status changes in the order of their ``sequence``."""
    recorded, _ = outbox_envelopes({**urls})
    mine = set(worker_ids)
    changes = sorted(
        (
            e
            for e in recorded
            if e["event_type"] == c.WORKER_STATUS_CHANGED and e["worker_id"] in mine
        ),
        key=lambda e: (e["worker_id"], e["sequence"]),
    )
    orders: dict[str, list[str]] = {}
    for change in changes:
        orders.setdefault(change["worker_id"], []).append(change["data"]["to_status"])
    return orders
