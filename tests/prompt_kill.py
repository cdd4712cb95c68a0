"""A killed container's consumer ends its wait for the broker at once, in the suite only.

nameko's consumer (``QueueConsumer``, kombu's ``ConsumerMixin``) waits for deliveries in
one-second slices (kombu's ``safety_interval``) and notices a kill between two: killing it waits
for the slice under way to end. Every test that starts a container paid up to a second for it
(38 tests of one module: 51 s, 18 s without). The suite ends the slice as its own timeout would,
with the ``socket.timeout`` (``TimeoutError``) the consumer's read raises when the slice elapses,
once the kill has asked the consumer to stop: the consumer then leaves its loop as it always does
(its consumers cancelled, its connection closed, what it had not acknowledged returned to the
queue). The platform's own timing is unchanged: the slice is only cut short for a consumer being
killed, and only when it is parked on a read of its socket, where the timeout would land."""

from eventlet import spawn
from eventlet.hubs import get_hub
from nameko.messaging import QueueConsumer

_kill = QueueConsumer.kill


def install() -> None:
    QueueConsumer.kill = _kill_at_once


def _kill_at_once(consumer: QueueConsumer) -> None:
    spawn(_end_the_wait, consumer)  # runs once nameko's kill has asked it to stop and waits
    _kill(consumer)


def _end_the_wait(consumer: QueueConsumer) -> None:
    thread = consumer._gt
    if thread is None or thread.dead or not consumer.should_stop:
        return
    hub = get_hub()
    reading = any(
        getattr(listener.cb, "__self__", None) is thread
        for listener in hub.listeners[hub.READ].values()
    )
    if reading:
        thread.throw(TimeoutError("timed out"))  # socket.timeout
