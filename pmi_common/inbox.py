"""Event handlers that never lose or loop a message.

``@handles(EVENT_TYPE, ...)`` marks a service method as the handler of those event types. All
handlers of a service share its queue ``<service>.inbox`` (see ``topology``). Each message is
parsed against the contract; a malformed one goes straight to ``<service>.dead-letter`` with the
reason. A handler that raises is retried with growing delays through ``<service>.retry``; after
the last attempt the message is dead-lettered with the error and the number of attempts, unless
what failed is another service that did not answer (``ServiceUnavailable``): the event is sound and
its service is down or cut off (a broker node failing over, a deploy), so it is retried at the
longest delay for as long as that lasts, never dead-lettered for it. A message that keeps killing
the process is dead-lettered by the quorum queue's delivery limit.
Handlers apply their effect with ``Store.apply_once`` so a redelivered event changes nothing.

A service that starts or stops never dead-letters an event for want of its handler: the table of
handlers is the service class's, read at setup (nameko sets up every extension before it starts
any, so before the first delivery), and the first handler the container stops cancels the inbox's
consumer (nameko stops entrypoints first, the inbox's consumer last). What arrived and was not
begun is then given back to the queue at once, for another instance; the batches under way finish
and are acked on the connection, which stays open until the container's workers have ended.

Events are applied in batches: what has arrived while the previous batches ran (up to
``EVENT_BATCH_SIZE``) is applied by one worker in one transaction, its inbox records written
first in one statement, and acked once it has committed. If any handler of a batch raises, the
batch is rolled back and each of its events applied again on its own, so one failing event is
retried or dead-lettered alone and the others commit. Under light load a batch is a single
event, applied at once.

Two batches run at once, but never two that hold events of the same worker: two batches at once
may commit in either order, and a worker's events are applied in the order they arrived (her
timeline and her status follow the order the services published them in). An event whose worker
a batch under way holds waits, and her later events with it, while the events of other workers
go on.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
import traceback
from dataclasses import dataclass
from functools import partial

import structlog
from eventlet.queue import LightQueue
from eventlet.semaphore import Semaphore
from kombu import Exchange, Queue, binding
from nameko.exceptions import ConfigurationError, ContainerBeingKilled
from nameko.extensions import Entrypoint, SharedExtension
from nameko.messaging import QueueConsumer

from . import metrics
from .amqp import dead_letter_publisher, give_back
from .broker_users import PUBLISHED_BY, connection_user, parse_users, publisher_problem
from .context import CORRELATION_ID
from .contract import exchange_name, handled_by, spec_for
from .errors import InvalidInput
from .events import Event, MalformedEvent, parse_event
from .rpc import ServiceUnavailable
from .store import Database
from .topology import dead_letter_queue, queues_for, retry_queue

log = structlog.get_logger(__name__)

DEFAULT_RETRY_DELAYS = (1.0, 3.0, 10.0, 30.0, 60.0)
DEFAULT_BATCH_SIZE = 50  # events applied in one transaction, at most
BATCHES_IN_FLIGHT = 2  # batches applied at once by one service process
ATTEMPTS_HEADER = "x-attempts"
BATCH_METHOD = "apply_event_batch"
_STOP = object()
_SETTLED = object()  # a batch was settled: an event held back for its worker may go now


@dataclass
class Delivery:
    """One message of the inbox queue, parsed, with the handler it goes to."""

    message: object
    event: Event
    entrypoint: HandlesEvent
    attempts: int
    received: float  # time.monotonic()


class EventBatch:
    """Deliveries applied by one worker in one transaction (see the module's docstring)."""

    def __init__(self, deliveries: list[Delivery], store_attribute: str):
        # a stable sort: each worker's events keep their order, and concurrent batches lock
        # the rows of several workers in the same order
        self.deliveries = sorted(deliveries, key=lambda d: d.event.worker_id or "")
        self.store_attribute = store_attribute
        self.workers = {d.event.worker_id for d in deliveries if d.event.worker_id}

    def apply(self, service) -> list:
        """Run each delivery's handler; the ``exc_info`` of each (None: applied)."""
        store = getattr(service, self.store_attribute)
        try:
            with store.applying([delivery.event for delivery in self.deliveries]):
                for delivery in self.deliveries:
                    self._handle(service, delivery)
            return [None] * len(self.deliveries)
        except Exception:  # noqa: BLE001 - the batch is rolled back: each event on its own
            if len(self.deliveries) == 1:
                return [sys.exc_info()]
            log.info(
                "event_batch_rolled_back",
                events=len(self.deliveries),
                error=traceback.format_exception_only(*sys.exc_info()[:2])[-1].strip(),
            )
        outcomes: list = []
        for delivery in self.deliveries:
            try:
                with store.applying([delivery.event]):
                    self._handle(service, delivery)
                outcomes.append(None)
            except Exception:  # noqa: BLE001 - retried or dead-lettered by the inbox
                outcomes.append(sys.exc_info())
        return outcomes

    @staticmethod
    def _handle(service, delivery: Delivery) -> None:
        structlog.contextvars.bind_contextvars(
            entrypoint=delivery.entrypoint.method_name, correlation_id=delivery.event.correlation_id
        )
        getattr(service, delivery.entrypoint.method_name)(delivery.event)


class Subscriber:
    """What a service with ``@handles`` methods inherits: the method batch workers run."""

    def apply_event_batch(self, batch: EventBatch) -> list:
        return batch.apply(self)


class _BatchEntrypoint(Entrypoint):
    """The entrypoint of the workers that apply batches (bound by the inbox, not declared)."""


class _InboxQueueConsumer(QueueConsumer):
    """nameko's queue consumer, with a prefetch that keeps batches full, a message that cannot be
    decoded handed to its provider instead of killing the consumer thread, and a connection that
    outlives its consumer until the container stops this extension: nameko's closes as soon as
    nothing consumes, and the batches still under way as the service stops would lose their acks
    (their events delivered again)."""

    closing = False

    @property
    def prefetch_count(self):
        config = self.container.config
        return max(
            self.container.max_workers,
            int(config.get("EVENT_BATCH_SIZE", DEFAULT_BATCH_SIZE)) * (BATCHES_IN_FLIGHT + 1),
        )

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(self._undecodable, provider)
        return consumers

    def _undecodable(self, provider, message, exc):
        self.container.spawn_managed_thread(partial(provider.undecodable, message, exc))

    def on_iteration(self):
        self._cancel_consumers_if_requested()
        if not self._consumers and self.closing:
            self.should_stop = True

    def stop(self):
        self.closing = True  # nameko stops this after the container's workers have ended
        super().stop()


class ServiceInbox(SharedExtension):
    queue_consumer = _InboxQueueConsumer()
    taking = False  # deliveries are applied: from setup until the service begins to stop
    cancelled = False  # the consumer is cancelled: the broker delivers nothing more here

    def setup(self):
        service = self.container.service_name
        self.service = service
        config = self.container.config
        self.retry_delays = tuple(config.get("EVENT_RETRY_DELAYS", DEFAULT_RETRY_DELAYS))
        self.publisher = dead_letter_publisher(config["AMQP_URI"])
        self.own_user = connection_user(config["AMQP_URI"])
        try:
            self.users = parse_users(config.get("BROKER_USERS"))
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from exc
        inbox_spec = queues_for(service)[0]
        # a service's own broker user may bind to other services' exchanges, not declare them
        # (``pmi broker setup`` has)
        self.queue = Queue(
            inbox_spec.name,
            durable=True,
            queue_arguments=inbox_spec.arguments,
            bindings=[
                binding(
                    Exchange(exchange, type="topic", durable=True, no_declare=bool(self.users)),
                    routing_key=key,
                )
                for exchange, key in inbox_spec.bindings
            ],
        )
        self.handlers = {
            event_type: entrypoint
            for entrypoint in self.container.entrypoints
            if isinstance(entrypoint, HandlesEvent)
            for event_type in entrypoint.event_types
        }
        self.batch_size = max(1, int(config.get("EVENT_BATCH_SIZE", DEFAULT_BATCH_SIZE)))
        self.store_attribute = self._store_attribute()
        if not callable(getattr(self.container.service_cls, BATCH_METHOD, None)):
            raise ConfigurationError(
                f"{self.container.service_cls.__name__} has @handles "
                f"methods: it inherits pmi_common.inbox.Subscriber"
            )
        self.batch_entrypoint = _BatchEntrypoint()
        self.batch_entrypoint.container, self.batch_entrypoint.method_name = (
            self.container,
            BATCH_METHOD,
        )
        self.arrived = LightQueue()
        # a service whose effects must follow the order events arrive in (``events_in_order``)
        # applies one batch at a time: two batches at once may commit in either order
        ordered = getattr(self.container.service_cls, "events_in_order", False)
        self.slots = Semaphore(1 if ordered else BATCHES_IN_FLIGHT)
        self.in_flight: set[str] = set()  # the workers whose events a batch under way holds
        self.held_back: list[Delivery] = []  # arrived, their workers' earlier events under way
        self.not_begun: list = []  # messages to give back once the consumer is cancelled
        self.taking = True
        self.queue_consumer.register_provider(self)

    def _store_attribute(self) -> str:
        names = [d.attr_name for d in self.container.dependencies if isinstance(d, Database)]
        if len(names) != 1:
            raise ConfigurationError(
                f"a service with @handles methods has one Database "
                f"dependency; {self.container.service_name} has {names}"
            )
        return names[0]

    def start(self):
        self.container.spawn_managed_thread(self._batches, identifier="inbox-batches")

    def stop_taking(self):
        """Called as the container stops its entrypoints: no batch begins, the consumer is
        cancelled, then what arrived and was not begun is given back to the queue. The batches
        under way finish and are acked (nameko waits for its workers)."""
        if not self.taking:
            return
        self.taking = False
        self.queue_consumer.unregister_provider(self)
        self.cancelled = True
        not_begun, self.not_begun = self.not_begun, []
        not_begun += [delivery.message for delivery in self.held_back]
        self.held_back = []
        while self.arrived.qsize():
            item = self.arrived.get_nowait()
            if isinstance(item, Delivery):
                not_begun.append(item.message)
        for message in not_begun:
            give_back(message)
        self.arrived.put(_STOP)

    def _not_begun(self, message) -> None:
        """Given back once the consumer is cancelled, not before: the broker would deliver it
        straight back to this consumer, a loop that counts towards the queue's delivery limit."""
        if self.cancelled:
            give_back(message)
        else:
            self.not_begun.append(message)

    def stop(self):
        self.stop_taking()
        super().stop()

    def handler_for(self, event_type: str) -> HandlesEvent | None:
        return self.handlers.get(event_type)

    # message flow ---------------------------------------------------------------------------

    def handle_message(self, body, message):
        try:
            event = parse_event(body)
        except MalformedEvent as exc:
            self.dead_letter(message, str(exc), attempts=0)
            return
        forged = publisher_problem(
            event.source, *self._publisher(message), self.own_user, self.users
        )
        if forged:
            self.dead_letter(message, forged, attempts=0)
            return
        entrypoint = self.handler_for(event.event_type)
        if entrypoint is None:
            self.dead_letter(message, f"{self.service} has no handler for {event.event_type}", 0)
            return
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 0))
        if self.taking:
            self.arrived.put(Delivery(message, event, entrypoint, attempts, time.monotonic()))
        else:
            self._not_begun(message)  # the service is stopping

    def _batches(self):
        """Hand what has arrived to batch workers, at most ``BATCHES_IN_FLIGHT`` at once; while
        they run, the next batch gathers (in ``arrived``, where ``stop_taking`` finds it)."""
        while True:
            self.slots.acquire()
            deliveries = self._gather()
            if deliveries is None:  # the service stops
                self.slots.release()
                return
            if not self.taking:  # arrived as the service began to stop
                self.slots.release()
                for delivery in deliveries:
                    self._not_begun(delivery.message)
                continue
            batch = EventBatch(deliveries, self.store_attribute)
            self.in_flight |= batch.workers
            try:
                self.container.spawn_worker(
                    self.batch_entrypoint,
                    (batch,),
                    {},
                    context_data={CORRELATION_ID: batch.deliveries[0].event.correlation_id},
                    handle_result=partial(self.batch_applied, batch),
                )
            except ContainerBeingKilled:
                # left unacknowledged: the connection closes as the container dies and the broker
                # takes them back (given back now, the broker would deliver them here again)
                self._settled(batch)

    def _gather(self) -> list[Delivery] | None:
        """The next batch, in the order of arrival: first what was held back, then what has
        arrived, up to ``batch_size``. An event is held back while a batch under way holds its
        worker, or an earlier event of hers is held back. Waits until one event can go; None
        once the service stops. Nothing yields between reading ``in_flight`` and the caller
        marking the batch's workers (green threads switch only where one waits)."""
        while True:
            ready: list[Delivery] = []
            waiting: list[Delivery] = []
            stopping = False
            earlier, self.held_back = self.held_back, []
            while len(ready) < self.batch_size and (earlier or self.arrived.qsize()):
                item = earlier.pop(0) if earlier else self.arrived.get_nowait()
                if item is _STOP:
                    stopping = True
                    break
                if item is _SETTLED:
                    continue
                if item.event.worker_id in self.in_flight:
                    waiting.append(item)  # and so, in turn, each later event of hers
                else:
                    ready.append(item)
            self.held_back = waiting + earlier
            if ready:
                if stopping:
                    self.arrived.put(_STOP)
                return ready
            if stopping:
                return None
            item = self.arrived.get()  # an arrival, or a batch settled
            if item is _STOP:
                return None
            if item is not _SETTLED:
                self.held_back.append(item)

    def _settled(self, batch: EventBatch) -> None:
        self.in_flight -= batch.workers
        self.slots.release()
        if self.held_back:
            self.arrived.put(_SETTLED)

    def batch_applied(self, batch: EventBatch, worker_ctx, result=None, exc_info=None):
        try:
            outcomes = result if exc_info is None else [exc_info] * len(batch.deliveries)
            for delivery, outcome in zip(batch.deliveries, outcomes, strict=True):
                self.settle(delivery, outcome)
        finally:
            self._settled(batch)
        return result, exc_info

    def settle(self, delivery: Delivery, exc_info) -> None:
        """Ack an applied event; retry or dead-letter a failed one."""
        message, event = delivery.message, delivery.event
        elapsed = time.monotonic() - delivery.received  # metrics
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            metrics.event_handled(self.service, event.event_type, metrics.OK, elapsed)  # metrics
            return
        error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        attempts = delivery.attempts + 1
        permanent = isinstance(exc_info[1], InvalidInput)
        waiting = isinstance(exc_info[1], ServiceUnavailable)  # on another service, not on itself
        try:
            if permanent or (attempts > len(self.retry_delays) and not waiting):
                self._republish(message, dead_letter_queue(self.service), attempts, error)
                metrics.dead_lettered(self.service)  # metrics
                log.error(
                    "event_dead_lettered",
                    event_type=event.event_type,
                    event_id=event.event_id,
                    attempts=attempts,
                    error=error,
                )
                outcome = metrics.DEAD_LETTERED  # metrics
            else:
                delay = self.retry_delays[min(attempts, len(self.retry_delays)) - 1]
                self._republish(
                    message, retry_queue(self.service), attempts, error, expiration=delay
                )
                log.warning(
                    "event_retry_scheduled",
                    event_type=event.event_type,
                    event_id=event.event_id,
                    attempts=attempts,
                    delay=delay,
                    error=error,
                )
                outcome = metrics.RETRIED  # metrics
        except Exception as exc:  # noqa: BLE001 - the broker is gone: let it redeliver instead
            log.warning("event_requeued", event_id=event.event_id, error=str(exc))
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)
        metrics.event_handled(self.service, event.event_type, outcome, elapsed)  # metrics

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

    @staticmethod
    def _publisher(message) -> tuple[str | None, str | None]:
        """(the AMQP user_id RabbitMQ checked, the first publisher a retry of ours recorded)"""
        return (message.properties or {}).get("user_id"), (message.headers or {}).get(PUBLISHED_BY)

    def _republish(
        self, message, queue: str, attempts: int, error: str, expiration: float | None = None
    ) -> None:
        info = message.delivery_info or {}
        headers = dict(message.headers or {})
        headers.pop("x-death", None)
        user_id, published_by = self._publisher(message)
        # republished as this service's user; who published it first travels in a header that
        # only a message published as this service's user is believed about
        first = published_by if user_id == self.own_user and published_by else user_id
        if first is not None:
            headers[PUBLISHED_BY] = first
        headers.setdefault("x-original-exchange", info.get("exchange", ""))
        headers.setdefault("x-original-routing-key", info.get("routing_key", ""))
        headers.update(
            {
                ATTEMPTS_HEADER: attempts,
                "x-error": error[:2000],
                "x-failed-at": dt.datetime.now(dt.UTC).isoformat(),
                "x-service": self.service,
            }
        )
        self.publisher.publish(
            message.body,
            exchange="",
            routing_key=queue,
            headers=headers,
            content_type=message.content_type or "application/octet-stream",
            content_encoding=message.content_encoding or "binary",
            expiration=expiration,
            user_id=self.own_user,
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
            if spec not in handled_by(self.container.service_name):
                raise RuntimeError(
                    f"the contract does not list {self.container.service_name} as a handler of "
                    f"{event_type} from {exchange_name(spec.source)}"
                )

    def stop(self):
        self.inbox.stop_taking()
        super().stop()


handles = HandlesEvent.decorator
