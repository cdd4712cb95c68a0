"""What every service answers for operators and agencies: its health and its event history.

A service class inherits ``ServiceOperations`` and has ``db = Database(metadata)``:

- ``health()``: whether its database answers, how many outbox rows wait to be published and the
  age of the oldest;
- ``backfill(queue, event_types, since)``: send the events of those types it published since a
  date, from its own outbox, oldest first (so in ``sequence`` order per worker), straight to one
  agency's queue through the default exchange, with publisher confirms. Other subscribers see
  nothing: the events are not published to the service's exchange again.
"""

from __future__ import annotations

import re

import amqp
from nameko.extensions import DependencyProvider
from sqlalchemy import select

from .agencies import NAME_PATTERN, event_types_of, parse_since
from .amqp import broker_connection
from .contract import spec_for
from .errors import InvalidInput, NotFound
from .inbox import Subscriber
from .metrics import outbox_state
from .relay import BATCH_SIZE, ConfirmingPublisher
from .rpc import rpc
from .store import Store

AGENCY_QUEUE = re.compile(r"^agency\.(?P<name>[^.]+)\.events$")


class Operations:
    """The work behind the operations entrypoints, for one service."""

    def __init__(self, service: str, amqp_uri: str):
        self.service = service
        self.amqp_uri = amqp_uri

    def health(self, store: Store) -> dict:
        try:
            backlog, age = outbox_state(store.engine, store.tables)
        except Exception as exc:  # noqa: BLE001 - the answer says what is wrong
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            return {"service": self.service, "database": reason[:300],
                    "outbox_backlog": None, "oldest_unpublished_age_seconds": None}
        return {"service": self.service, "database": "ok", "outbox_backlog": backlog,
                "oldest_unpublished_age_seconds": age}

    def check_backfill(self, queue: str, event_types, since: str):
        match = AGENCY_QUEUE.match(queue) if isinstance(queue, str) else None
        if match is None or not NAME_PATTERN.match(match["name"]):
            raise InvalidInput("history goes only to an agency's queue", {"queue": [
                "expected agency.<name>.events"]})
        if not isinstance(event_types, list | tuple):
            raise InvalidInput("event types must be a list", {"event_types": ["not a list"]})
        types = event_types_of(event_types, field_name="event_types")
        foreign = [t for t in types if spec_for(t).source != self.service]
        if foreign:
            raise InvalidInput(f"{self.service} does not publish these events", {
                "event_types": [f"not published by {self.service}: {', '.join(foreign)}"]})
        return types, parse_since(since)

    def backfill(self, store: Store, queue: str, event_types, since: str) -> int:
        types, since_at = self.check_backfill(queue, event_types, since)
        self._require_queue(queue)
        outbox = store.tables.outbox
        publisher = ConfirmingPublisher(self.amqp_uri)
        sent, last_id = 0, 0
        try:
            while True:
                with store.engine.connect() as conn:
                    rows = conn.execute(
                        select(outbox.c.id, outbox.c.envelope)
                        .where(outbox.c.id > last_id, outbox.c.event_type.in_(types),
                               outbox.c.published_at.is_not(None),
                               outbox.c.occurred_at >= since_at)
                        .order_by(outbox.c.id).limit(BATCH_SIZE)
                    ).all()
                if not rows:
                    return sent
                publisher.publish_batch([("", queue, row.envelope) for row in rows])
                sent += len(rows)
                last_id = rows[-1].id
        finally:
            publisher.close()

    def _require_queue(self, queue: str) -> None:
        with broker_connection(self.amqp_uri) as connection:
            try:
                connection.channel().queue_declare(queue, passive=True)
            except amqp.exceptions.NotFound as exc:
                raise NotFound(f"no queue {queue}") from exc


class OperationsProvider(DependencyProvider):
    def setup(self):
        self.operations = Operations(self.container.service_name,
                                     self.container.config["AMQP_URI"])

    def get_dependency(self, worker_ctx) -> Operations:
        return self.operations


class ServiceOperations(Subscriber):
    """Base class of every service: the operations entrypoints, over the service's ``db``, and
    the batch workers of its ``@handles`` methods."""

    operations = OperationsProvider()
    db: Store

    @rpc
    def health(self) -> dict:
        return self.operations.health(self.db)

    @rpc
    def backfill(self, queue: str, event_types: list[str], since: str) -> int:
        return self.operations.backfill(self.db, queue, event_types, since)
