"""Every exchange, queue, binding and dead-letter route the platform needs, from the contract.

For each consuming service ``S``:

- ``S.inbox``: a quorum queue bound to each event type ``S`` handles. Its delivery limit
  dead-letters a message that keeps killing its consumer (a redelivery loop) to ``S.dead-letter``.
- ``S.retry``: a quorum queue where a failed message waits (per-message TTL, growing with each
  attempt) before it is dead-lettered back into ``S.inbox``.
- ``S.dead-letter``: a quorum queue of the messages that failed every attempt or are not valid
  events, with the reason.

Every quorum queue is declared with its delivery limit, so it behaves the same on RabbitMQ 3.x
(no limit unless declared) and 4.x (20 unless declared, then dropped or dead-lettered).

Declaring is idempotent; every service declares the whole topology before its relay publishes, so
no event is published before its consumers' queues exist. A process declares it once per broker
and vhost (``declare_topology`` remembers): the runner's declaring and the relay's that follows it
are one, and so are those of the containers one process starts on one vhost.
With one broker user per service (``BROKER_USERS``, see ``broker_users``) a service may declare
only its own exchange and queues: ``pmi broker setup`` declares the whole topology first, as the
administrator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kombu import Exchange, Queue

from .amqp import broker_connection
from .contract import AGENCIES, SERVICES, exchange_name, handled_by

DELIVERY_LIMIT = 10  # an inbox's: deliveries before a message is dead-lettered
# The retry and dead-letter queues hold messages for time or for an operator, not for a consumer:
# reading a dead letter (``pmi ops dead-letters``, the console) takes it and gives it back, which
# counts as a delivery. Their limit is one no reading reaches. Not -1, 4.x's "no limit": 3.x takes
# -1 as a limit below every count and drops a message at its first return.
HOLDING_DELIVERY_LIMIT = 1_000_000
# Quorum queues dead-letter with publisher-confirm semantics, so a message moving from retry to
# inbox (or inbox to dead letters) survives a broker node failure on the way.
AT_LEAST_ONCE = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}


@dataclass(frozen=True)
class QueueSpec:
    name: str
    arguments: dict
    bindings: tuple[tuple[str, str], ...] = field(default=())  # (exchange, routing key)


def inbox_queue(service: str) -> str:
    return f"{service}.inbox"


def retry_queue(service: str) -> str:
    return f"{service}.retry"


def dead_letter_queue(service: str) -> str:
    return f"{service}.dead-letter"


def consuming_services() -> tuple[str, ...]:
    """The processes with an inbox: the services that handle events, and the agencies service."""
    return tuple(service for service in (*SERVICES, AGENCIES) if handled_by(service))


def queues_for(service: str) -> tuple[QueueSpec, ...]:
    bindings = tuple((exchange_name(spec.source), spec.event_type) for spec in handled_by(service))
    return (
        QueueSpec(
            inbox_queue(service),
            {
                "x-queue-type": "quorum",
                "x-delivery-limit": DELIVERY_LIMIT,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": dead_letter_queue(service),
                **AT_LEAST_ONCE,
            },
            bindings,
        ),
        QueueSpec(
            retry_queue(service),
            {
                "x-queue-type": "quorum",
                "x-delivery-limit": HOLDING_DELIVERY_LIMIT,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": inbox_queue(service),
                **AT_LEAST_ONCE,
            },
        ),
        QueueSpec(
            dead_letter_queue(service),
            {"x-queue-type": "quorum", "x-delivery-limit": HOLDING_DELIVERY_LIMIT},
        ),
    )


def all_queues() -> tuple[QueueSpec, ...]:
    return tuple(q for service in consuming_services() for q in queues_for(service))


def exchanges() -> tuple[str, ...]:
    return tuple(exchange_name(service) for service in SERVICES)


def kombu_queue(spec: QueueSpec, channel=None) -> Queue:
    return Queue(
        spec.name, durable=True, queue_arguments=spec.arguments, channel=channel, no_declare=False
    )


def own_topology(service: str, config) -> str | None:
    """What a process declares: only its own part when each service has its own broker user."""
    return service if config.get("BROKER_USERS") else None


# (AMQP URI, part) this process has declared: (uri, None) the whole topology, (uri, service) a
# service's own part
_declared: set[tuple[str, str | None]] = set()


def declare_topology(amqp_uri: str, only: str | None = None, again: bool = False) -> None:
    """Declare every exchange, queue and binding; ``only`` a service's own (its own broker
    user may declare no more). Once per process and vhost, unless ``again``: the operator's
    ``pmi broker setup`` declares whatever is there, a process starting declares once."""
    if not again and ((amqp_uri, None) in _declared or (amqp_uri, only) in _declared):
        return
    names = (
        exchanges() if only is None else ((exchange_name(only),) if only in SERVICES else ())
    )  # the agencies service publishes no events
    specs = all_queues() if only is None else queues_for(only)
    with broker_connection(amqp_uri) as connection:
        channel = connection.channel()
        for name in names:
            Exchange(name, type="topic", durable=True, channel=channel).declare()
        for spec in specs:
            queue = kombu_queue(spec, channel)
            queue.declare()
            for exchange, routing_key in spec.bindings:
                channel.queue_bind(spec.name, exchange=exchange, routing_key=routing_key)
    _declared.add((amqp_uri, only))


def definitions(vhost: str = "/") -> dict:
    """The topology as RabbitMQ definitions (``rabbitmqctl import_definitions``) for operators."""
    return {
        "exchanges": [
            {
                "name": name,
                "vhost": vhost,
                "type": "topic",
                "durable": True,
                "auto_delete": False,
                "internal": False,
                "arguments": {},
            }
            for name in exchanges()
        ],
        "queues": [
            {
                "name": spec.name,
                "vhost": vhost,
                "durable": True,
                "auto_delete": False,
                "arguments": spec.arguments,
            }
            for spec in all_queues()
        ],
        "bindings": [
            {
                "source": exchange,
                "vhost": vhost,
                "destination": spec.name,
                "destination_type": "queue",
                "routing_key": routing_key,
                "arguments": {},
            }
            for spec in all_queues()
            for exchange, routing_key in spec.bindings
        ],
    }
