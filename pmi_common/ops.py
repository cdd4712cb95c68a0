"""Operators' view of the broker: every platform queue's health, and the dead letters.

Queue statistics come from RabbitMQ's management API. Dead letters are read and moved over AMQP,
one message at a time: take it (unacknowledged), publish it where it goes with a publisher
confirm, and only then acknowledge it. A crash in between leaves the message in both places,
never in neither; the inbox applies an event once, so a repeat changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import amqp

from .amqp import broker_connection
from .contract import SERVICES
from .management import Management, vhost_of
from .topology import all_queues, consuming_services, dead_letter_queue, inbox_queue

NO_CONSUMERS = "NO CONSUMERS"
BACKLOG_GROWING = "BACKLOG GROWING"
DEAD_LETTERS = "DEAD LETTERS"
MISSING = "MISSING"
CONFIRM_TIMEOUT = 15.0
FAILURE_HEADERS = ("x-attempts", "x-error", "x-failed-at", "x-service", "x-death",
                   "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
                   "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason",
                   "x-delivery-count")


# queues -------------------------------------------------------------------------------------

def queue_kind(name: str) -> str:
    """inbox, retry, dead-letter, rpc, agency, parked or other."""
    if name.startswith("rpc-") and name[4:] in SERVICES:
        return "rpc"
    if name.startswith("agency."):
        return "parked" if name.endswith(".parked") else "agency"
    for suffix in ("inbox", "retry", "dead-letter"):
        if name.endswith(f".{suffix}") and name.rsplit(".", 1)[0] in SERVICES:
            return suffix
    return "other"


@dataclass(frozen=True)
class QueueHealth:
    name: str
    kind: str
    ready: int
    unacked: int
    consumers: int
    publish_rate: float
    deliver_rate: float
    marks: tuple[str, ...]


def _rate(stats: dict, key: str) -> float:
    return float(((stats.get("message_stats") or {}).get(key) or {}).get("rate", 0.0))


def marks_for(kind: str, stats: dict) -> tuple[str, ...]:
    """What is unhealthy about one queue, from its management statistics."""
    ready = int(stats.get("messages_ready", 0))
    marks = []
    if kind in ("dead-letter", "parked"):
        if int(stats.get("messages", 0)) > 0:
            marks.append(DEAD_LETTERS)
        return tuple(marks)
    if kind in ("inbox", "agency", "rpc") and int(stats.get("consumers", 0)) == 0:
        marks.append(NO_CONSUMERS)
    if kind != "retry" and ready > 0:
        growing = float((stats.get("messages_ready_details") or {}).get("rate", 0.0)) > 0
        outpaced = _rate(stats, "publish_details") > _rate(stats, "deliver_get_details")
        if growing or outpaced:
            marks.append(BACKLOG_GROWING)
    return tuple(marks)


def queue_health(stats: dict) -> QueueHealth:
    kind = queue_kind(stats["name"])
    return QueueHealth(
        name=stats["name"], kind=kind, ready=int(stats.get("messages_ready", 0)),
        unacked=int(stats.get("messages_unacknowledged", 0)),
        consumers=int(stats.get("consumers", 0)),
        publish_rate=_rate(stats, "publish_details"),
        deliver_rate=_rate(stats, "deliver_get_details"),
        marks=marks_for(kind, stats),
    )


def platform_queues(stats: Iterable[dict], everything: bool = False) -> list[QueueHealth]:
    """The platform's queues in a stable order: each consuming service's inbox, retry and
    dead-letter queues (``MISSING`` when not declared), the services' RPC queues, then the
    agencies' queues; with ``everything``, the broker's other queues too."""
    by_name = {s["name"]: s for s in stats}
    rows = []
    for spec in all_queues():
        if spec.name in by_name:
            rows.append(queue_health(by_name.pop(spec.name)))
        else:
            rows.append(QueueHealth(spec.name, queue_kind(spec.name), 0, 0, 0, 0.0, 0.0,
                                    (MISSING,)))
    order = {"rpc": 0, "agency": 1, "parked": 1, "other": 2}
    rest = sorted((queue_health(s) for s in by_name.values()),
                  key=lambda q: (order.get(q.kind, 2), q.name))
    rows.extend(q for q in rest if everything or q.kind != "other")
    return rows


def render_table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows,
                                                                       strict=True)]

    def line(cells):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(headers), *(line(row) for row in rows)])


def render_queues(queues: list[QueueHealth]) -> str:
    rows = [[q.name, q.ready, q.unacked, q.consumers, f"{q.publish_rate:.1f}",
             f"{q.deliver_rate:.1f}", ", ".join(q.marks) or "ok"] for q in queues]
    table = render_table(["QUEUE", "READY", "UNACKED", "CONSUMERS", "PUBLISH/S", "DELIVER/S",
                          "STATE"], rows, right={1, 2, 3, 4, 5})
    unhealthy = sum(1 for q in queues if q.marks)
    return f"{table}\n\n{unhealthy} of {len(queues)} queues need attention."


def queue_report(management: Management, amqp_uri: str, everything: bool = False
                 ) -> list[QueueHealth]:
    return platform_queues(management.queues(vhost_of(amqp_uri)), everything)


# dead letters -----------------------------------------------------------------------------

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
        error = (f"dead-lettered by the broker: {_text(death.get('reason'))} "
                 f"from {_text(death.get('queue'))}")
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
        needle = self.match.lower()
        haystack = " ".join([letter.error, letter.event_type or "",
                             letter.body.decode("utf-8", "replace")]).lower()
        return needle in haystack


def replay_headers(headers: dict, now: dt.datetime | None = None) -> dict:
    """The headers of a replayed message: the failure record removed, so its attempts start
    again from zero, and the replay noted."""
    kept = {k: v for k, v in headers.items() if k not in FAILURE_HEADERS}
    kept["x-replays"] = int(headers.get("x-replays", 0)) + 1
    kept["x-replayed-at"] = (now or dt.datetime.now(dt.UTC)).isoformat()
    return kept


def render_dead_letters(letters: list[DeadLetter]) -> str:
    rows = [[letter.queue.rsplit(".", 1)[0], letter.event_id or "-", letter.event_type or "-",
             "-" if letter.attempts is None else letter.attempts, letter.failed_at or "-",
             " ".join(letter.error.split())[:90]] for letter in letters]
    if not rows:
        return "No dead letters."
    return render_table(["SERVICE", "EVENT ID", "TYPE", "ATTEMPTS", "FAILED AT", "ERROR"], rows,
                        right={3})


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
                properties = {k: v for k, v in message.properties.items()
                              if k != "application_headers"}
                properties["delivery_mode"] = 2
                channel.basic_publish_confirm(
                    amqp.Message(message.body, application_headers=replay_headers(
                        letter.headers), **properties),
                    exchange="", routing_key=target, mandatory=True,
                    confirm_timeout=CONFIRM_TIMEOUT)
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
        return [letter for letter in self.peek(dead_letter_queue(service), limit=None)
                if selection(letter)]

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

