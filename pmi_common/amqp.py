"""Small helpers around the broker connection."""

from __future__ import annotations

import eventlet
from amqp import spec
from kombu import Connection
from nameko.amqp.publish import Publisher

from .tls import amqp_ssl


def broker_connection(amqp_uri: str, **kwargs) -> Connection:
    """A kombu connection, over TLS verified against ``AMQP_CA_FILE`` for ``amqps://``."""
    return Connection(amqp_uri, ssl=amqp_ssl(amqp_uri) or False, **kwargs)


def dead_letter_publisher(amqp_uri: str) -> Publisher:
    """Persistent, confirmed publishes of raw bodies (retries and dead letters)."""
    return Publisher(
        amqp_uri,
        ssl=amqp_ssl(amqp_uri),
        use_confirms=True,
        delivery_mode=2,
        mandatory=False,
        serializer="json",
        retry=True,
        retry_policy={
            "max_retries": 3,
            "interval_start": 0.5,
            "interval_step": 1,
            "interval_max": 2,
        },
    )


def give_back(message) -> None:
    """Return a delivery this consumer will not apply (it is stopping) to its queue.

    A ``basic.nack`` with requeue, not the ``basic.reject`` of kombu's ``requeue()``: from
    RabbitMQ 4.3 a quorum queue counts only rejects and closed channels (failed deliveries)
    towards its delivery limit, so a message given back by a stopping consumer comes no nearer the
    dead letters. Before 4.3 every return counts, this one too."""
    channel = message.channel
    if channel is None or not channel.connection:
        return  # the connection is gone: the broker has taken the message back
    try:
        channel.send_method(spec.Basic.Nack, "Lbb", (message.delivery_tag, False, True))
    except ConnectionError:
        pass  # closing as we return it: the broker takes it back all the same


def broker_reachable(amqp_uri: str, timeout: float = 3.0) -> str | None:
    """None when the broker answers; otherwise the reason it does not. Bounded as a whole: a
    TLS peer that never finishes the handshake or its close is an answer too, not a wait."""
    try:
        with (
            eventlet.Timeout(timeout * 3, TimeoutError(f"no answer within {timeout * 3:g} s")),
            broker_connection(amqp_uri, connect_timeout=timeout) as connection,
        ):
            connection.ensure_connection(max_retries=1, timeout=timeout)
    except (OSError, Exception) as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return None
