"""The outbox relay: publishes committed outbox rows in order, with publisher confirms.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so several instances of a service can relay at
once without publishing a row twice; a row is marked published only once the broker confirmed it,
so a crash between the two re-publishes (subscribers drop the repeat by ``event_id``), never loses.
Confirms are awaited per batch, not per message.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import amqp
import structlog
from kombu import Connection
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from . import metrics
from .amqp import broker_connection
from .broker_users import connection_user
from .contract import exchange_name
from .tables import MessagingTables
from .topology import declare_topology

log = structlog.get_logger(__name__)

BATCH_SIZE = 500
IDLE_POLL_SECONDS = 1.0
CONFIRM_TIMEOUT_SECONDS = 15.0


class PublishFailed(RuntimeError):
    pass


class ConfirmingPublisher:
    """Publishes a batch of messages on one channel and waits for the broker to confirm them all."""

    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri
        self.user_id = connection_user(amqp_uri)
        self.connection: Connection | None = None
        self.channel: amqp.Channel | None = None
        self._acked = 0
        self._nacked = False

    def _open(self) -> tuple[Connection, amqp.Channel]:
        self.connection = connection = broker_connection(self.amqp_uri, heartbeat=0)
        connection.connect()
        self.channel = channel = connection.channel()
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        self._published = 0
        self._acked = 0
        return connection, channel

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._acked = max(self._acked, delivery_tag)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._nacked = True

    def publish_batch(self, messages: list[tuple[str, str, dict]]) -> None:
        """``messages``: (exchange, routing key, envelope). Returns once all are confirmed."""
        self.publish_messages(
            [
                (exchange, routing_key, self.message_of(envelope))
                for exchange, routing_key, envelope in messages
            ]
        )

    def message_of(
        self,
        envelope: dict,
        body: bytes | str | None = None,
        content_type: str = "application/json",
        headers: dict | None = None,
    ) -> amqp.Message:
        """An event's message: ``envelope`` as JSON text, or ``body`` (bytes, left as bytes to
        the consumer) of ``content_type`` with ``headers``: another form of the same event."""
        encoding = {"content_encoding": "utf-8"} if body is None else {}
        return amqp.Message(
            json.dumps(envelope, separators=(",", ":")) if body is None else body,
            content_type=content_type,
            delivery_mode=2,
            message_id=envelope["event_id"],
            # RabbitMQ refuses a user_id that is not the connection's: who published
            user_id=self.user_id,
            correlation_id=envelope["correlation_id"],
            type=envelope["event_type"],
            application_headers={"event_version": envelope["event_version"]}
            if headers is None
            else headers,
            **encoding,
        )

    def publish_messages(self, messages: list[tuple[str, str, amqp.Message]]) -> None:
        """``messages``: (exchange, routing key, message). Returns once all are confirmed."""
        if self.connection is None or self.channel is None:
            connection, channel = self._open()
        else:
            connection, channel = self.connection, self.channel
        self._nacked = False
        for exchange, routing_key, message in messages:
            channel.basic_publish(message, exchange=exchange, routing_key=routing_key)
            self._published += 1
        deadline = time.monotonic() + CONFIRM_TIMEOUT_SECONDS
        while self._acked < self._published and not self._nacked:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PublishFailed("the broker did not confirm the batch in time")
            connection.drain_events(timeout=remaining)
        if self._nacked:
            raise PublishFailed("the broker refused (nacked) a message of the batch")

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.release()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
        self.connection = None
        self.channel = None


class OutboxRelay:
    def __init__(
        self,
        engine: Engine,
        tables: MessagingTables,
        amqp_uri: str,
        source: str,
        declares: str | None = None,
    ):
        self.engine = engine
        self.tables = tables
        self.amqp_uri = amqp_uri
        self.source = source
        self.exchange = exchange_name(source)
        self.publisher = ConfirmingPublisher(amqp_uri)
        self.declares = declares  # None: the whole topology; a service: only its own part
        self._wake = threading.Event()
        self._running = False
        self.published_total = 0

    def wake(self) -> None:
        self._wake.set()

    def prepare(self) -> None:
        """Declare the platform's topology so no event is published before its queues exist."""
        declare_topology(self.amqp_uri, self.declares)
        self._running = True

    def stop(self) -> None:
        self._running = False
        self._wake.set()

    def run(self) -> None:
        backoff = 0.5
        while self._running:
            try:
                published = self.relay_batch()
                backoff = 0.5
            except Exception as exc:  # noqa: BLE001 - the relay must outlive broker/db outages
                log.warning("outbox_relay_retrying", error=str(exc), retry_in=backoff)
                self.publisher.close()
                self._wake.wait(backoff)
                self._wake.clear()
                backoff = min(backoff * 2, 10.0)
                continue
            if published == 0:
                self._wake.wait(IDLE_POLL_SECONDS)
                self._wake.clear()
        self.publisher.close()

    def relay_batch(self) -> int:
        """Publish up to one batch of unpublished rows; the number published."""
        outbox = self.tables.outbox
        with Session(self.engine) as session, session.begin():
            rows = session.execute(
                select(outbox.c.id, outbox.c.event_type, outbox.c.envelope)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.id)
                .limit(BATCH_SIZE)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            self.publisher.publish_batch(
                [(self.exchange, row.event_type, row.envelope) for row in rows]
            )
            session.execute(
                update(outbox)
                .where(outbox.c.id.in_([row.id for row in rows]))
                .values(published_at=dt.datetime.now(dt.UTC))
            )
        self.published_total += len(rows)
        metrics.events_published(self.source, [row.event_type for row in rows])  # metrics
        return len(rows)
