"""Event handlers that never lose or loop a message.

``@handles(EVENT_TYPE, ...)`` marks a service method as the handler of those event types. All
handlers of a service share its queue ``<service>.inbox`` (see ``topology``). Each message is
parsed against the contract; a malformed one goes straight to ``<service>.dead-letter`` with the
reason. A handler that raises is retried with growing delays through ``<service>.retry``; after
the last attempt the message is dead-lettered with the error and the number of attempts. A
message that keeps killing the process is dead-lettered by the quorum queue's delivery limit.
Handlers apply their effect with ``Store.apply_once`` so a redelivered event changes nothing.
"""

from __future__ import annotations

import datetime as dt
import time
import traceback
from functools import partial

import structlog
from kombu import Exchange, Queue, binding
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import Entrypoint, ProviderCollector, SharedExtension
from nameko.messaging import QueueConsumer

from . import metrics
from .amqp import dead_letter_publisher
from .context import CORRELATION_ID, actor_context
from .contract import exchange_name, spec_for
from .errors import InvalidInput
from .events import Event, MalformedEvent, parse_event
from .topology import dead_letter_queue, queues_for, retry_queue

log = structlog.get_logger(__name__)

DEFAULT_RETRY_DELAYS = (1.0, 3.0, 10.0, 30.0, 60.0)
ATTEMPTS_HEADER = "x-attempts"


class _InboxQueueConsumer(QueueConsumer):
    """nameko's queue consumer, but a message that cannot be decoded is handed to its provider
    instead of killing the consumer thread."""

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(self._undecodable, provider)
        return consumers

    def _undecodable(self, provider, message, exc):
        self.container.spawn_managed_thread(partial(provider.undecodable, message, exc))


class ServiceInbox(SharedExtension, ProviderCollector):
    queue_consumer = _InboxQueueConsumer()

    def setup(self):
        service = self.container.service_name
        self.service = service
        config = self.container.config
        self.retry_delays = tuple(config.get("EVENT_RETRY_DELAYS", DEFAULT_RETRY_DELAYS))
        self.publisher = dead_letter_publisher(config["AMQP_URI"])
        inbox_spec = queues_for(service)[0]
        self.queue = Queue(
            inbox_spec.name,
            durable=True,
            queue_arguments=inbox_spec.arguments,
            bindings=[
                binding(Exchange(exchange, type="topic", durable=True), routing_key=key)
                for exchange, key in inbox_spec.bindings
            ],
        )
        self.queue_consumer.register_provider(self)

    def stop(self):
        self.wait_for_providers()
        self.queue_consumer.unregister_provider(self)
        super().stop()

    def handler_for(self, event_type: str) -> HandlesEvent | None:
        for provider in self._providers:
            if event_type in provider.event_types:
                return provider
        return None

    # message flow ---------------------------------------------------------------------------

    def handle_message(self, body, message):
        try:
            event = parse_event(body)
        except MalformedEvent as exc:
            self.dead_letter(message, str(exc), attempts=0)
            return
        entrypoint = self.handler_for(event.event_type)
        if entrypoint is None:
            self.dead_letter(message, f"{self.service} has no handler for {event.event_type}", 0)
            return
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 0))
        context_data = {CORRELATION_ID: event.correlation_id, **actor_context(event.actor)}
        try:
            self.container.spawn_worker(
                entrypoint, (event,), {}, context_data=context_data,
                handle_result=partial(self.handle_result, message, event, attempts,
                                      started=time.monotonic()),  # metrics: handler latency
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_result(self, message, event: Event, attempts: int, worker_ctx, result=None,
                      exc_info=None, started: float | None = None):
        elapsed = None if started is None else time.monotonic() - started  # metrics
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            metrics.event_handled(self.service, event.event_type, metrics.OK, elapsed)  # metrics
            return result, exc_info
        error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        attempts += 1
        permanent = isinstance(exc_info[1], InvalidInput)
        try:
            if permanent or attempts > len(self.retry_delays):
                self._republish(message, dead_letter_queue(self.service), attempts, error)
                metrics.dead_lettered(self.service)  # metrics
                log.error("event_dead_lettered", event_type=event.event_type,
                          event_id=event.event_id, attempts=attempts, error=error)
                outcome = metrics.DEAD_LETTERED  # metrics
            else:
                delay = self.retry_delays[attempts - 1]
                self._republish(message, retry_queue(self.service), attempts, error,
                                expiration=delay)
                log.warning("event_retry_scheduled", event_type=event.event_type,
                            event_id=event.event_id, attempts=attempts, delay=delay, error=error)
                outcome = metrics.RETRIED  # metrics
        except Exception as exc:  # noqa: BLE001 - the broker is gone: let it redeliver instead
            log.warning("event_requeued", event_id=event.event_id, error=str(exc))
            self.queue_consumer.requeue_message(message)
            return result, exc_info
        self.queue_consumer.ack_message(message)
        metrics.event_handled(self.service, event.event_type, outcome, elapsed)  # metrics
        return result, exc_info

    def undecodable(self, message, exc):
        self.dead_letter(message, f"undecodable message: {exc}", attempts=0)

    def dead_letter(self, message, reason: str, attempts: int) -> None:
        """Move a message that can never be applied to the dead letters, then ack it."""
        try:
            self._republish(message, dead_letter_queue(self.service), attempts, reason)
        except Exception as exc:  # noqa: BLE001
            log.warning("dead_letter_failed", error=str(exc))
            self.queue_consumer.requeue_message(message)
            return
        log.error("message_dead_lettered", queue=dead_letter_queue(self.service), reason=reason)
        metrics.dead_lettered(self.service)  # metrics
        self.queue_consumer.ack_message(message)

    def _republish(self, message, queue: str, attempts: int, error: str,
                   expiration: float | None = None) -> None:
        info = message.delivery_info or {}
        headers = dict(message.headers or {})
        headers.pop("x-death", None)
        headers.setdefault("x-original-exchange", info.get("exchange", ""))
        headers.setdefault("x-original-routing-key", info.get("routing_key", ""))
        headers.update({
            ATTEMPTS_HEADER: attempts,
            "x-error": error[:2000],
            "x-failed-at": dt.datetime.now(dt.UTC).isoformat(),
            "x-service": self.service,
        })
        self.publisher.publish(
            message.body,
            exchange="",
            routing_key=queue,
            headers=headers,
            content_type=message.content_type or "application/octet-stream",
            content_encoding=message.content_encoding or "binary",
            expiration=expiration,
        )


class HandlesEvent(Entrypoint):
    inbox = ServiceInbox()

    def __init__(self, *event_types: str, **kwargs):
        for event_type in event_types:
            spec_for(event_type)  # an unknown event type fails at import, not at run time
        self.event_types = event_types
        super().__init__(**kwargs)

    def setup(self):
        for event_type in self.event_types:
            spec = spec_for(event_type)
            if self.container.service_name not in spec.handlers:
                raise RuntimeError(
                    f"the contract does not list {self.container.service_name} as a handler of "
                    f"{event_type} from {exchange_name(spec.source)}"
                )
        self.inbox.register_provider(self)

    def stop(self):
        self.inbox.unregister_provider(self)
        super().stop()


handles = HandlesEvent.decorator
