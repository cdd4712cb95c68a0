"""Dead letters: read, replayed and discarded over AMQP, one message at a time: take it
(unacknowledged), publish it where it goes with a publisher confirm, and only then acknowledge it.
A crash in between leaves the message in both places, never in neither; the inbox applies an
event once, so a repeat changes nothing. The operators' console and ``pmi ops`` use it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import amqp

from .amqp import broker_connection
from .topology import consuming_services, dead_letter_queue, inbox_queue

CONFIRM_TIMEOUT = 15.0
FAILURE_HEADERS = (
    "x-attempts",
    "x-error",
    "x-failed-at",
    "x-service",
    "x-death",
    "x-first-death-exchange",
    "x-first-death-queue",
    "x-first-death-reason",
    "x-last-death-exchange",
    "x-last-death-queue",
    "x-last-death-reason",
    "x-delivery-count",
)


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    event_id: str | None
    event_type: str | None
    attempts: int | None
    error: str
    failed_at: str | None
    headers: dict = field(default_factory=dict, compare=False, repr=False)
    body: bytes = field(default=b"", compare=False, repr=False)


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def dead_letter_of(queue: str, body, headers: dict | None) -> DeadLetter:
    """What an operator needs to know of one dead letter: which event, how often it failed, why."""
    headers = dict(headers or {})
    raw = body.encode() if isinstance(body, str) else bytes(body or b"")
    try:
        envelope = json.loads(raw)
    except ValueError:
        envelope = None
    envelope = envelope if isinstance(envelope, dict) else {}
    error = headers.get("x-error")
    failed_at = headers.get("x-failed-at")
    deaths = headers.get("x-death") or []
    if error is None and deaths:
        death = deaths[0]
        error = (
            f"dead-lettered by the broker: {_text(death.get('reason'))} "
            f"from {_text(death.get('queue'))}"
        )
        failed_at = failed_at or death.get("time")
    if error is None:
        error = "(no reason recorded)"
    if not envelope:
        error = f"[body {raw[:40]!r}] {_text(error)}"
    attempts = headers.get("x-attempts")
    return DeadLetter(
        queue=queue,
        event_id=_text(envelope["event_id"]) if envelope.get("event_id") else None,
        event_type=_text(envelope["event_type"]) if envelope.get("event_type") else None,
        attempts=int(attempts) if attempts is not None else None,
        error=_text(error),
        failed_at=_text(failed_at) if failed_at is not None else None,
        headers=headers,
        body=raw,
    )


@dataclass(frozen=True)
class Selection:
    """Which dead letters an operator means: one event, every one, or those mentioning a text
    (in the error, the event type or the body)."""

    event_id: str | None = None
    everything: bool = False
    match: str | None = None

    def __post_init__(self):
        chosen = sum([self.event_id is not None, self.everything, self.match is not None])
        if chosen != 1:
            raise ValueError("choose exactly one of: an event id, all, or a text to match")

    def __call__(self, letter: DeadLetter) -> bool:
        if self.everything:
            return True
        if self.event_id is not None:
            return letter.event_id == self.event_id
        assert self.match is not None  # the one choice left (__post_init__)
        needle = self.match.lower()
        haystack = " ".join(
            [letter.error, letter.event_type or "", letter.body.decode("utf-8", "replace")]
        ).lower()
        return needle in haystack


def replay_headers(headers: dict, now: dt.datetime | None = None) -> dict:
    """The headers of a replayed message: the failure record removed, so its attempts start
    again from zero, and the replay noted."""
    kept = {k: v for k, v in headers.items() if k not in FAILURE_HEADERS}
    kept["x-replays"] = int(headers.get("x-replays", 0)) + 1
    kept["x-replayed-at"] = (now or dt.datetime.now(dt.UTC)).isoformat()
    return kept


class DeadLetterQueues:
    """Reading, replaying and discarding dead letters over AMQP."""

    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri

    @contextmanager
    def _channel(self) -> Iterator:
        with broker_connection(self.amqp_uri) as connection:
            channel = connection.channel()
            try:
                yield channel
            finally:
                channel.close()  # whatever was taken and not acknowledged goes back

    def _taken(self, channel, queue: str, limit: int | None = None):
        count = 0
        while limit is None or count < limit:
            message = channel.basic_get(queue, no_ack=False)
            if message is None:
                return
            count += 1
            yield message, dead_letter_of(queue, message.body, message.headers)

    def peek(self, queue: str, limit: int | None = 50) -> list[DeadLetter]:
        """Up to ``limit`` dead letters, left where they are."""
        self._require(queue)
        with self._channel() as channel:
            return [letter for _, letter in self._taken(channel, queue, limit)]

    def replay(self, service: str, selection: Selection) -> list[DeadLetter]:
        """Move the chosen dead letters of ``service`` back to its inbox, attempts reset."""
        source, target = dead_letter_queue(service), inbox_queue(service)
        self._require(source)
        self._require(target)
        moved = []
        with self._channel() as channel:
            channel.confirm_select()
            for message, letter in self._taken(channel, source):
                if not selection(letter):
                    continue  # held unacknowledged until the channel closes, so seen once
                properties = {
                    k: v for k, v in message.properties.items() if k != "application_headers"
                }
                properties["delivery_mode"] = 2
                channel.basic_publish_confirm(
                    amqp.Message(
                        message.body,
                        application_headers=replay_headers(letter.headers),
                        **properties,
                    ),
                    exchange="",
                    routing_key=target,
                    mandatory=True,
                    confirm_timeout=CONFIRM_TIMEOUT,
                )
                channel.basic_ack(message.delivery_tag)
                moved.append(letter)
        return moved

    def discard(self, service: str, selection: Selection) -> list[DeadLetter]:
        """Delete the chosen dead letters of ``service`` for good."""
        source = dead_letter_queue(service)
        self._require(source)
        dropped = []
        with self._channel() as channel:
            for message, letter in self._taken(channel, source):
                if selection(letter):
                    channel.basic_ack(message.delivery_tag)
                    dropped.append(letter)
        return dropped

    def select(self, service: str, selection: Selection) -> list[DeadLetter]:
        """The dead letters a replay or discard would take, left where they are."""
        return [
            letter
            for letter in self.peek(dead_letter_queue(service), limit=None)
            if selection(letter)
        ]

    def _require(self, queue: str) -> None:
        with broker_connection(self.amqp_uri) as connection:
            try:
                connection.channel().queue_declare(queue, passive=True)
            except amqp.exceptions.NotFound as exc:
                raise LookupError(f"no queue {queue} on this virtual host") from exc


def dead_letter_sources(service: str | None = None) -> list[str]:
    """The dead-letter queues of one consuming service, or of all."""
    services = [service] if service else list(consuming_services())
    return [dead_letter_queue(s) for s in services]
