"""What every service answers for operators and agencies: its health and its event history.

A service class inherits ``ServiceOperations`` and has ``db = Database(metadata)``:

- ``health()``: whether its database answers, how many outbox rows wait to be published and the
  age of the oldest;
- ``history(event_types, since, after, limit)``: a page of the events of those types it
  published since a date, from its own outbox, oldest first (so in ``sequence`` order per
  worker), and where the next page starts. The agencies service asks for it to backfill an agency:
  history reaches an agency only through the agency's agreement, like live events.
- ``export_worker(worker_id)``: everything its database holds about one worker (the worker's
  right of access, UU 27/2022): every row of its tables that names the worker (a ``worker_id``
  column, or the ``id`` of its ``workers`` table), the rows that hang off those by foreign key or
  by the link a table declares in its ``info`` (``ABOUT_VIA``: a scan through the documents that
  name its digest), the answers to keyed commands that name the worker (``command_answers``, kept
  a day, sealed: found by the keyed digests of the ids they name, and opened for the export;
  ``pmi_common.kept_answers``), and archived events unpacked; binary content (document scans)
  as its size and digest (the gateway links each scan for download).
- ``received_events(event_ids)``: the inbox rows of those events (what this service received
  and applied, and when). An inbox row names only the event: the gateway asks with the ids of
  the events published about the worker, and joins each row to the event as published.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from nameko.extensions import DependencyProvider
from sqlalchemy import Text, cast, or_, select

from .contract import spec_for
from .errors import AnswerUnreadable, InvalidInput
from .history import event_types_of, parse_since
from .inbox import Subscriber
from .kept_answers import KeptAnswers, is_sealed
from .metrics import outbox_state
from .retention import RetentionPolicy, prune, unpack
from .rpc import rpc
from .schedule import every
from .store import Store, is_id

RETENTION_SECONDS = 3600
HISTORY_PAGE = 500
# Table.info key: (column, parent table, parent column) for a table whose rows are about a
# worker through a parent it names without a foreign key (a scan stored once by its digest)
ABOUT_VIA = "about_via"
# tables whose rows name the worker only inside a JSON column: (column)
MENTIONING = {"command_answers": "answer"}
UNPACKED = {"outbox_archive": "envelope"}  # compressed JSON, exported as what it holds


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
            return {
                "service": self.service,
                "database": reason[:300],
                "outbox_backlog": None,
                "oldest_unpublished_age_seconds": None,
            }
        return {
            "service": self.service,
            "database": "ok",
            "outbox_backlog": backlog,
            "oldest_unpublished_age_seconds": age,
        }

    def check_history(self, event_types, since: str):
        if not isinstance(event_types, list | tuple):
            raise InvalidInput("event types must be a list", {"event_types": ["not a list"]})
        types = event_types_of(event_types, field_name="event_types")
        foreign = [t for t in types if spec_for(t).source != self.service]
        if foreign:
            raise InvalidInput(
                f"{self.service} does not publish these events",
                {"event_types": [f"not published by {self.service}: {', '.join(foreign)}"]},
            )
        return types, parse_since(since)

    def history(
        self, store: Store, event_types, since: str, after: int = 0, limit: int = HISTORY_PAGE
    ) -> dict:
        """Published events of ``event_types`` since ``since``, a page at a time in id order:
        the archive's (older rows retention moved there, ids kept), then the outbox's."""
        types, since_at = self.check_history(event_types, since)
        limit = max(1, min(int(limit), HISTORY_PAGE))
        outbox, archive = store.tables.outbox, store.tables.archive
        sources = (
            (select(archive.c.id, archive.c.envelope), archive, unpack),
            (
                select(outbox.c.id, outbox.c.envelope).where(outbox.c.published_at.is_not(None)),
                outbox,
                lambda envelope: envelope,
            ),
        )
        page = []
        with store.engine.connect() as conn:
            for query, table, envelope_of in sources:
                page += [
                    (row.id, envelope_of(row.envelope))
                    for row in conn.execute(
                        query.where(
                            table.c.id > int(after),
                            table.c.event_type.in_(types),
                            table.c.occurred_at >= since_at,
                        )
                        .order_by(table.c.id)
                        .limit(limit)
                    )
                ]
        page = sorted(page, key=lambda entry: entry[0])[:limit]
        return {
            "events": [envelope for _, envelope in page],
            "after": page[-1][0] if page else None,
        }

    def export_worker(self, store: Store, worker_id: str) -> dict[str, list[dict]]:
        return rows_about(
            store.engine, store.tables.outbox.metadata, worker_id, answers=store.answers
        )

    def received_events(self, store: Store, event_ids) -> list[dict]:
        return received(store.engine, store.tables.inbox, event_ids)


def received(engine, inbox, event_ids) -> list[dict]:
    """The inbox rows of ``event_ids``, oldest first."""
    ids = sorted({str(event_id) for event_id in event_ids or ()})
    found: list[dict] = []
    with engine.connect() as conn:
        for start in range(0, len(ids), HISTORY_PAGE):
            found += [
                {k: _exported(v) for k, v in row.items()}
                for row in conn.execute(
                    select(inbox).where(inbox.c.event_id.in_(ids[start : start + HISTORY_PAGE]))
                ).mappings()
            ]
    return sorted(found, key=lambda row: (row["applied_at"], row["event_id"]))


def rows_about(
    engine, metadata, worker_id: str, leave_out=(), answers: KeptAnswers | None = None
) -> dict[str, list[dict]]:
    """Every row of ``metadata``'s tables about one worker (see ``export_worker``); ``answers``
    finds and opens the sealed answers of keyed commands (without it, only those kept in clear
    are found)."""
    found: dict[str, list[dict]] = {}
    with engine.connect() as conn:
        # parents first: foreign keys can be followed; tables linked without one last
        for table in sorted(metadata.sorted_tables, key=lambda t: ABOUT_VIA in t.info):
            condition = _about(table, worker_id, found, answers)
            if condition is None or table.name in leave_out:
                continue
            rows = (
                conn.execute(select(table).where(condition).order_by(*table.primary_key.columns))
                .mappings()
                .all()
            )
            if table.name in MENTIONING:
                column = MENTIONING[table.name]
                rows = [r for r in rows if _names(r[column], worker_id, answers)]
            if rows:
                found[table.name] = [_row(table.name, row, answers) for row in rows]
    return found


def _names(kept, worker_id: str, answers: KeptAnswers | None) -> bool:
    """Whether a kept answer names the worker: a sealed one by its digests, one kept in clear
    (before sealing began) by its values."""
    if is_sealed(kept):
        return answers is not None and answers.names(kept, worker_id)
    return _mentions(kept, worker_id)


def _row(table_name: str, row, answers: KeptAnswers | None = None) -> dict:
    exported = {k: _exported(v) for k, v in row.items()}
    if table_name in UNPACKED:
        exported[UNPACKED[table_name]] = unpack(row[UNPACKED[table_name]])
    if table_name in MENTIONING and answers is not None:
        try:  # the answer she would get again; a seal that no longer opens, as it is kept
            exported[MENTIONING[table_name]] = answers.open(row["key"], row[MENTIONING[table_name]])
        except AnswerUnreadable:
            pass
    return exported


def _mentions(value, worker_id: str) -> bool:
    """Whether the worker's id is one of the values in a JSON document."""
    if isinstance(value, dict):
        return any(_mentions(v, worker_id) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, worker_id) for v in value)
    return value == worker_id


def _about(table, worker_id: str, found: dict[str, list[dict]], answers: KeptAnswers | None = None):
    """Which rows of ``table`` are about the worker, given the rows already found; None: none."""
    if "worker_id" in table.columns:
        return table.c.worker_id == worker_id
    if table.name == "workers" and "id" in table.columns:
        return table.c.id == worker_id
    if table.name == "stream_sequences":  # the worker's events are numbered in their stream
        return table.c.stream_id == worker_id
    if table.name in MENTIONING:  # a first filter; _names decides
        kept = cast(table.c[MENTIONING[table.name]], Text)
        condition = kept.contains(worker_id, autoescape=True)
        if answers is not None and is_id(worker_id):
            condition = or_(condition, kept.contains(answers.digest(worker_id)))
        return condition
    if ABOUT_VIA in table.info:
        column, parent, parent_column = table.info[ABOUT_VIA]
        values = [row[parent_column] for row in found.get(parent, ()) if row[parent_column]]
        return table.c[column].in_(values) if values else None
    for key in table.foreign_keys:
        parent = key.column.table.name
        if parent in found:
            values = [row[key.column.name] for row in found[parent]]
            return key.parent.in_(values)
    return None


def _exported(value):
    if isinstance(value, bytes | memoryview):
        data = bytes(value)
        return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


class OperationsProvider(DependencyProvider):
    def setup(self):
        self.operations = Operations(self.container.service_name, self.container.config["AMQP_URI"])
        self.operations.retention = RetentionPolicy.from_config(self.container.config)

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
    def export_worker(self, worker_id: str) -> dict[str, list[dict]]:
        return self.operations.export_worker(self.db, worker_id)

    @rpc
    def received_events(self, event_ids: list[str]) -> list[dict]:
        return self.operations.received_events(self.db, event_ids)

    @rpc
    def history(self, event_types: list[str], since: str, after: int = 0, limit: int = 500) -> dict:
        return self.operations.history(self.db, event_types, since, after, limit)

    @every("RETENTION_SECONDS", RETENTION_SECONDS)
    def apply_retention(self) -> dict:
        """The retention run (``pmi_common.retention``), on a timer; two instances at once
        touch different rows, or the same rows once."""
        return prune(self.db.engine, self.db.tables, self.operations.retention)
