"""What every service answers for operators and agencies: its health and its event history.

A service class inherits ``ServiceOperations`` and has ``db = Database(metadata)``:

- ``health()``: whether its database answers, how many outbox rows wait to be published and the
  age of the oldest;
- ``history(event_types, since, after, limit)``: a page of the events of those types it
  published since a date, from its own outbox, oldest first (so in ``sequence`` order per
  worker), and where the next page starts. The egress asks for it to backfill an agency: history
  reaches an agency only through the agency's agreement, like live events.
"""

from __future__ import annotations

from nameko.extensions import DependencyProvider
from sqlalchemy import select

from .agencies import event_types_of, parse_since
from .contract import spec_for
from .errors import InvalidInput
from .inbox import Subscriber
from .metrics import outbox_state
from .rpc import rpc
from .store import Store

HISTORY_PAGE = 500


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

    def check_history(self, event_types, since: str):
        if not isinstance(event_types, list | tuple):
            raise InvalidInput("event types must be a list", {"event_types": ["not a list"]})
        types = event_types_of(event_types, field_name="event_types")
        foreign = [t for t in types if spec_for(t).source != self.service]
        if foreign:
            raise InvalidInput(f"{self.service} does not publish these events", {
                "event_types": [f"not published by {self.service}: {', '.join(foreign)}"]})
        return types, parse_since(since)

    def history(self, store: Store, event_types, since: str, after: int = 0,
                limit: int = HISTORY_PAGE) -> dict:
        types, since_at = self.check_history(event_types, since)
        outbox = store.tables.outbox
        with store.engine.connect() as conn:
            rows = conn.execute(
                select(outbox.c.id, outbox.c.envelope)
                .where(outbox.c.id > int(after), outbox.c.event_type.in_(types),
                       outbox.c.published_at.is_not(None), outbox.c.occurred_at >= since_at)
                .order_by(outbox.c.id).limit(max(1, min(int(limit), HISTORY_PAGE)))
            ).all()
        return {"events": [row.envelope for row in rows],
                "after": rows[-1].id if rows else None}


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
    def history(self, event_types: list[str], since: str, after: int = 0,
                limit: int = 500) -> dict:
        return self.operations.history(self.db, event_types, since, after, limit)
