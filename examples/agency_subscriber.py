"""A partner agency's subscriber to the platform's lifecycle events, in plain kombu.

    AMQP_URI='amqp://agency-bpjs:SECRET@broker.example:5672/' \\
        python examples/agency_subscriber.py --queue agency.bpjs.events --state bpjs.sqlite

It needs only kombu, the official ``cloudevents`` package and the agency's own user (``pmi agency
onboard``). It reads every form the agency's queue may carry (``pmi agency settings NAME
--queue-format ...``): the platform's own JSON envelope, or a CloudEvent in the binary or the
structured mode of the CloudEvents AMQP binding, decoded with the SDK
(``cloudevents.core.bindings.amqp``: the AMQP 0-9-1 ``content_type``, ``headers`` and body are the
AMQP 1.0 ``content-type``, ``application-properties`` and application data); the same CloudEvent
an agency's webhook receives. It shows what every subscriber should do:

- acknowledge by hand, only after the event is applied and recorded, with a bounded prefetch;
- drop repeats: delivery is at least once, so the event id is recorded in the same SQLite
  transaction as the agency's own change, and an event seen before is acknowledged and ignored;
- dispatch on ``event_version``: a version this subscriber knows is applied; an unknown one is
  logged and rejected without requeue, so the broker parks it in ``agency.<name>.parked`` until a
  release of the subscriber knows it (nothing crashes, nothing is lost);
- keep going when the broker restarts or drops the connection (kombu reconnects).

Each decision is printed as one JSON line: ``applied``, ``duplicate``, ``parked`` or ``failed``.
The event types and payloads are described in the platform's AsyncAPI catalogue.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sqlite3
import sys
from datetime import UTC, datetime

from cloudevents.core.bindings.amqp import AMQPMessage, from_amqp
from cloudevents.core.formats.json import JSONFormat
from kombu import Connection, Queue
from kombu.mixins import ConsumerMixin

log = logging.getLogger("agency_subscriber")

STATUS_CHANGED = "worker_status_changed"  # from the catalogue: the event that moves a status

SCHEMA = """
CREATE TABLE IF NOT EXISTS seen_events (
    event_id TEXT PRIMARY KEY, event_type TEXT NOT NULL, received_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS worker_events (
    event_id TEXT PRIMARY KEY, worker_id TEXT, source TEXT NOT NULL, event_type TEXT NOT NULL,
    event_version INTEGER NOT NULL, sequence INTEGER NOT NULL, occurred_at TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS worker_status (
    worker_id TEXT PRIMARY KEY, status TEXT NOT NULL, stage TEXT NOT NULL,
    sequence INTEGER NOT NULL);
"""


def say(outcome: str, **fields) -> None:
    print(json.dumps({"outcome": outcome, **fields}), flush=True)


# what the agency does with each version of an event ------------------------------------------


def apply_v1(db: sqlite3.Connection, event: dict) -> None:
    """Keep the event, and the worker's latest status (an older status event changes nothing:
    ``sequence`` increases per worker for each source)."""
    db.execute(
        "INSERT INTO worker_events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            event["event_id"],
            event["worker_id"],
            event["source"],
            event["event_type"],
            event["event_version"],
            event["sequence"],
            event["occurred_at"],
            json.dumps(event["data"]),
        ),
    )
    if event["event_type"] == STATUS_CHANGED:
        db.execute(
            "INSERT INTO worker_status VALUES (?, ?, ?, ?) ON CONFLICT (worker_id) DO UPDATE "
            "SET status = excluded.status, stage = excluded.stage, sequence = excluded.sequence "
            "WHERE excluded.sequence > worker_status.sequence",
            (
                event["worker_id"],
                event["data"]["to_status"],
                event["data"]["stage"],
                event["sequence"],
            ),
        )


HANDLERS = {1: apply_v1}  # event_version -> how to apply it


class UnknownVersion(Exception):
    pass


def handle(db: sqlite3.Connection, event: dict) -> bool:
    """Apply an event once; False when it was applied before."""
    apply = HANDLERS.get(event.get("event_version"))
    if apply is None:
        raise UnknownVersion(f"event_version {event.get('event_version')!r} is not known here")
    with db:  # one transaction: the agency's change and the record of the event id
        inserted = db.execute(
            "INSERT OR IGNORE INTO seen_events VALUES (?, ?, ?)",
            (event["event_id"], event["event_type"], datetime.now(UTC).isoformat()),
        ).rowcount
        if inserted:
            apply(db, event)
    return bool(inserted)


# reading a message: the platform's own form, or a CloudEvent ---------------------------------

CLOUD_EVENT_HEADER = "cloudEvents_"  # the binary mode's prefix of every attribute


def event_of(content_type: str | None, headers: dict | None, body: bytes) -> dict:
    """The event a message carries, as the platform's envelope (whichever form it came in)."""
    headers = headers or {}
    if (content_type or "").startswith("application/cloudevents") or any(
        name.startswith(CLOUD_EVENT_HEADER) for name in headers
    ):
        cloud = from_amqp(AMQPMessage({"content-type": content_type}, headers, body), JSONFormat())
        attributes = cloud.get_attributes()
        actor = {
            key[len("actor") :]: value
            for key, value in attributes.items()
            if key.startswith("actor")
        }
        return {
            "event_id": cloud.get_id(),
            "event_type": cloud.get_type(),
            "event_version": int(attributes["eventversion"]),
            "occurred_at": cloud.get_time().isoformat(),
            "source": cloud.get_source().removeprefix("/pmi/"),
            "worker_id": cloud.get_subject(),
            "sequence": int(attributes.get("workersequence") or 0),
            "correlation_id": attributes.get("correlationid"),
            "actor": actor or None,
            "data": cloud.get_data() or {},
        }
    return json.loads(body)


# the consumer ---------------------------------------------------------------------------------


class Subscriber(ConsumerMixin):
    def __init__(self, connection: Connection, queue: str, db: sqlite3.Connection, prefetch: int):
        self.connection = connection
        self.queue = Queue(queue, no_declare=True)  # the agency may not declare: it exists
        self.db = db
        self.prefetch = prefetch

    def get_consumers(self, Consumer, channel):  # noqa: N803 - kombu's signature
        return [
            Consumer(
                queues=[self.queue],
                on_message=self.on_message,
                prefetch_count=self.prefetch,
                accept=["json"],
            )
        ]

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        say("ready", queue=self.queue.name)

    def on_connection_error(self, exc, interval):
        log.warning("broker unreachable (%s); retrying in %ss", exc, interval)

    def on_message(self, message) -> None:
        try:
            event = event_of(message.content_type, message.headers, message.body)
            event_id = event["event_id"]
        except Exception as exc:  # noqa: BLE001 - whatever it is, it is not an event
            say("parked", reason=f"not an event: {exc}")
            message.reject(requeue=False)
            return
        summary = {
            "event_id": event_id,
            "event_type": event.get("event_type"),
            "event_version": event.get("event_version"),
            "worker_id": event.get("worker_id"),
            "sequence": event.get("sequence"),
        }
        try:
            applied = handle(self.db, event)
        except UnknownVersion as exc:
            say("parked", reason=str(exc), **summary)
            message.reject(requeue=False)
            return
        except Exception as exc:  # noqa: BLE001 - retried; parked by the broker after 20 tries
            say("failed", reason=f"{type(exc).__name__}: {exc}", **summary)
            message.requeue()
            return
        say("applied" if applied else "duplicate", **summary)
        message.ack()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queue", required=True, help="agency.<name>.events")
    parser.add_argument(
        "--state",
        default="agency-subscriber.sqlite",
        help="SQLite file of the agency's copy and the events it has seen",
    )
    parser.add_argument("--prefetch", type=int, default=20)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    db = sqlite3.connect(args.state)
    db.executescript(SCHEMA)
    with Connection(os.environ["AMQP_URI"], heartbeat=30) as connection:
        subscriber = Subscriber(connection, args.queue, db, args.prefetch)

        def stop(*_):
            subscriber.should_stop = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        subscriber.run()
    db.close()


if __name__ == "__main__":
    main()
