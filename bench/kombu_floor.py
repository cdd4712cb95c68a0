"""The floor of the broker client: raw kombu, persistent messages into a durable queue.

Publish, three ways: one by one with each publish confirmed before the next (kombu's
``confirm_publish``, what nameko's publisher does by default); confirms awaited once per batch of
500 (what the outbox relay does); and unconfirmed. Consume: one consumer, prefetch 100, each
message acknowledged. Messages are the size of a lifecycle event's envelope.
"""

from __future__ import annotations

import json
import time
import uuid

import amqp
from kombu import Connection, Consumer, Exchange, Producer, Queue

QUEUE = "floor.kombu"
PREFETCH = 100
BATCH = 500


def envelope(index: int) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "document_verified",
        "event_version": 1,
        "occurred_at": "2025-01-01T00:00:00+00:00",
        "source": "documents",
        "worker_id": str(uuid.uuid4()),
        "sequence": index,
        "correlation_id": str(uuid.uuid4()),
        "actor": {"role": "verifier", "agency": "ltsa-blitar", "subject": "verifier-1"},
        "data": {
            "document_id": str(uuid.uuid4()),
            "type": "passport",
            "number_masked": "******123",
            "verified_by": "verifier-1",
        },
    }


def _queue() -> Queue:
    return Queue(
        QUEUE, Exchange(QUEUE, type="direct", durable=True), routing_key=QUEUE, durable=True
    )


def publish_confirmed_each(amqp_uri: str, bodies: list[str]) -> float:
    """Seconds to publish ``bodies``, waiting for each one's confirm."""
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        _queue()(channel).declare()
        producer = Producer(channel, exchange=_queue().exchange, routing_key=QUEUE)
        started = time.perf_counter()
        for body in bodies:
            producer.publish(
                body, delivery_mode=2, content_type="application/json", content_encoding="utf-8"
            )
        return time.perf_counter() - started


def publish_confirmed_in_batches(amqp_uri: str, bodies: list[str], confirm: bool = True) -> float:
    """Seconds to publish ``bodies``, waiting for the confirms once per ``BATCH`` (or never)."""
    acked = 0

    def on_ack(delivery_tag: int, multiple: bool) -> None:
        nonlocal acked
        acked = max(acked, delivery_tag)

    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        _queue()(channel).declare()
        if confirm:
            channel.confirm_select()
            channel.events["basic_ack"].add(on_ack)
        started = time.perf_counter()
        for start in range(0, len(bodies), BATCH):
            batch = bodies[start : start + BATCH]
            for body in batch:
                channel.basic_publish(
                    amqp.Message(body, content_type="application/json", delivery_mode=2),
                    exchange=QUEUE,
                    routing_key=QUEUE,
                )
            while confirm and acked < start + len(batch):
                connection.drain_events(timeout=30)
        return time.perf_counter() - started


def consume(amqp_uri: str, count: int) -> float:
    """Seconds to consume and acknowledge ``count`` messages."""
    consumed = 0

    def on_message(body, message):
        nonlocal consumed
        message.ack()
        consumed += 1

    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        channel.basic_qos(0, PREFETCH, False)
        consumer = Consumer(channel, [_queue()], callbacks=[on_message], accept=["json"])
        started = time.perf_counter()
        with consumer:
            while consumed < count:
                connection.drain_events(timeout=30)
        return time.perf_counter() - started


def purge(amqp_uri: str) -> None:
    with Connection(amqp_uri) as connection:
        queue = _queue()(connection.channel())
        queue.declare()
        queue.purge()


def measure(amqp_uri: str, count: int) -> dict:
    each = max(count // 5, 200)
    bodies = [json.dumps(envelope(i)) for i in range(count)]
    purge(amqp_uri)
    confirmed_each = publish_confirmed_each(amqp_uri, bodies[:each])
    purge(amqp_uri)
    unconfirmed = publish_confirmed_in_batches(amqp_uri, bodies, confirm=False)
    purge(amqp_uri)
    batched = publish_confirmed_in_batches(amqp_uri, bodies)
    consumed = consume(amqp_uri, count)
    purge(amqp_uri)
    return {
        "messages": count,
        "publish_confirmed_each_per_second": each / confirmed_each,
        "publish_unconfirmed_per_second": count / unconfirmed,
        "publish_per_second": count / batched,
        "consume_per_second": count / consumed,
    }
