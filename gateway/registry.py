"""Registration's commonest reads, taken where the records are kept: a read-only connection to
registration's database (in production its streaming replica), instead of a round trip over AMQP
RPC to the registration service.

The record stays in registration's database; the gateway's own database holds no copy of it. The
connection is configured with ``REGISTRATION_READ_DATABASE_URL`` (a role that may only ``SELECT``
``workers`` and ``timeline``; every transaction is read-only besides) and answers exactly what the
registration service's ``get_worker``, ``get_timeline`` and ``list_workers`` answer: the same
rows, in the same shape, the same errors. Without the setting the gateway asks over RPC, as before.
Roles, agreements, masking and disclosure records stay where they are (``http``): they shape
whichever answer comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps
from typing import TypeVar

from nameko.extensions import DependencyProvider
from sqlalchemy import (
    Engine,
    Select,
    bindparam,
    column,
    create_engine,
    func,
    literal,
    select,
    table,
    union_all,
)
from sqlalchemy.engine import Dialect, make_url

from pmi_common.errors import InvalidInput, NotFound
from pmi_common.paging import decode_cursor, page
from pmi_common.store import is_id
from pmi_common.tls import database_connect_args

T = TypeVar("T")
SETTING = "REGISTRATION_READ_DATABASE_URL"
PASSWORD_SETTING = "REGISTRY_READER_PASSWORD"
APPLICATION_NAME = "pmi-gateway-registry"  # how its connections show in pg_stat_activity
CURSOR_LENGTH = 64  # registration's own limit on a list's cursor
DEFAULT_LIMIT = 50

WORKER_FIELDS = (
    "id",
    "nik",
    "full_name",
    "birth_date",
    "sex",
    "phone",
    "address",
    "destination_country",
    "occupation",
    "placement_agency",
    "bpjs_number",
    "cycle",
    "status",
    "stage",
    "documents_complete",
    "orientation_completed",
    "departed_on",
    "employer",
    "contract_starts_on",
    "contract_ends_on",
    "sector",
    "expected_return_on",
    "returned_on",
    "return_reason",
    "died_on",
    "death_country",
    "death_cause",
    "remains_repatriated",
    "remains_arrive_on",
    "heirs",
    "past_placement",
    "non_procedural",
    "family_account",
    "registered_at",
    "updated_at",
)
TIMELINE_FIELDS = (
    "occurred_at",
    "cycle",
    "event_type",
    "source",
    "event_id",
    "from_status",
    "to_status",
    "stage",
    "reason",
    "correlation_id",
    "details",
)
ACTOR_FIELDS = ("actor_role", "actor_agency", "actor_subject")
FILTERS = ("stage", "status", "regency", "destination_country")

workers = table("workers", *(column(name) for name in (*WORKER_FIELDS, "regency")))
timeline = table(
    "timeline", *(column(name) for name in ("id", "worker_id", *TIMELINE_FIELDS, *ACTOR_FIELDS))
)


def worker_view(row) -> dict:
    """A worker as registration answers it. Dates and moments stay ``date`` and ``datetime``:
    the gateway's encoder writes them in ISO 8601 as registration's schema does
    (``gateway.encoding``), at a fraction of what ``isoformat()`` costs in Python."""
    return dict(zip(WORKER_FIELDS, row, strict=True))


def timeline_view(row) -> dict:
    """An entry from its ``TIMELINE_FIELDS`` then ``ACTOR_FIELDS``, in that order."""
    entry = dict(zip(TIMELINE_FIELDS, row, strict=False))
    role, agency, subject = row[len(TIMELINE_FIELDS) :]
    entry["actor"] = {"role": role, "agency": agency, "subject": subject} if role else None
    return entry


@cache
def _page(given: tuple[str, ...]) -> Select:
    """The list's statement for the filters given (and a cursor), built once for each set."""
    stmt = RegistryReader._worker
    for name in given:
        if name == "placement_agency":
            stmt = stmt.where(func.lower(workers.c.placement_agency) == bindparam(name))
        elif name == "cursor":
            stmt = stmt.where(workers.c.id > bindparam(name))
        else:
            stmt = stmt.where(workers.c[name] == bindparam(name))
    return stmt.order_by(workers.c.id).limit(bindparam("limit"))


@cache
def _compiled(statement: Select, dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
    """A statement's SQL for the driver, compiled once, and for a driver that takes its
    parameters by position, their names in order."""
    compiled = statement.compile(dialect=dialect)
    return str(compiled), (tuple(compiled.positiontup) if compiled.positional else None)


def _once_more(read: Callable[..., T]) -> Callable[..., T]:
    """Run a read again, once, when its pooled connection turned out dead (``_rows`` has
    dropped it): a database restart costs a reconnection, not an error."""

    @wraps(read)
    def again(*args, **kwargs) -> T:
        try:
            return read(*args, **kwargs)
        except _Disconnected:
            return read(*args, **kwargs)

    return again


class _Disconnected(Exception):
    """The pooled connection was dead; it has been dropped from the pool."""


class RegistryReader:
    """``get_worker``, ``get_timeline`` and ``list_workers``, as registration answers them."""

    # statements built once: SQLAlchemy then finds each compiled form by a key it computed once
    _worker = select(*(workers.c[name] for name in WORKER_FIELDS))
    _worker_by_id = _worker.where(workers.c.id == bindparam("worker_id"))
    _timeline = (
        select(
            workers.c.id.label("worker"),
            timeline.c.id,
            *(timeline.c[name] for name in (*TIMELINE_FIELDS, *ACTOR_FIELDS)),
        )
        .select_from(workers.outerjoin(timeline, timeline.c.worker_id == workers.c.id))
        .where(workers.c.id == bindparam("worker_id"))
        .order_by(timeline.c.id)
    )

    def __init__(self, engine: Engine):
        self.engine = engine

    def _rows(self, statement: Select, values: dict) -> list[tuple]:
        """The statement's rows, as the driver gives them, on a pooled connection: one round
        trip, and nothing of SQLAlchemy's per-statement work but the pool's checkout."""
        sql, order = _compiled(statement, self.engine.dialect)
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(sql, [values[name] for name in order] if order else values)
            rows = cursor.fetchall()
            cursor.close()
            return rows
        except self.engine.dialect.loaded_dbapi.Error as exc:
            if self.engine.dialect.is_disconnect(exc, connection.dbapi_connection, None):
                connection.invalidate(exc)
                raise _Disconnected(str(exc)) from exc
            raise
        finally:
            connection.close()

    @_once_more
    def get_worker(self, worker_id: str) -> dict:
        rows = (
            self._rows(self._worker_by_id, {"worker_id": worker_id}) if is_id(worker_id) else None
        )
        if not rows:
            raise NotFound(f"no worker {worker_id}")
        return worker_view(rows[0])

    @_once_more
    def get_timeline(self, worker_id: str) -> list[dict]:
        """One round trip: the worker (none: unknown) joined to its entries, oldest first."""
        if not is_id(worker_id):
            raise NotFound(f"no worker {worker_id}")
        rows = self._rows(self._timeline, {"worker_id": worker_id})
        if not rows:
            raise NotFound(f"no worker {worker_id}")
        return [timeline_view(row[2:]) for row in rows if row[1] is not None]

    @_once_more
    def list_workers(self, query: dict) -> dict:
        limit = int(query.get("limit") or DEFAULT_LIMIT)
        cursor = query.get("cursor")
        if cursor is not None and len(str(cursor)) > CURSOR_LENGTH:
            raise InvalidInput(
                "the input is not valid",
                {"cursor": [f"Longer than maximum length {CURSOR_LENGTH}."]},
            )
        given = tuple(name for name in (*FILTERS, "placement_agency", "cursor") if query.get(name))
        values = {name: query[name] for name in given}
        if "placement_agency" in values:
            values["placement_agency"] = values["placement_agency"].lower()
        if "cursor" in values:
            values["cursor"] = decode_cursor(values["cursor"], (str,))[0]
        rows = self._rows(_page(given), {**values, "limit": limit + 1})
        items, next_cursor = page(rows, limit, key=lambda row: (row[0],))  # id comes first
        return {"items": [worker_view(row) for row in items], "next_cursor": next_cursor}

    def recruit_counts(self, placement_agency: str) -> dict[str, dict[str, int]]:
        """How many of a placement company's recruits there are by stage, status, regency and
        destination (``{dimension: {value: n}}``; ``total`` under ``""``)."""
        mine = func.lower(workers.c.placement_agency) == bindparam("placement_agency")
        statement = union_all(
            select(literal("total"), literal(""), func.count()).select_from(workers).where(mine),
            *(
                select(literal(name), workers.c[name], func.count())
                .where(mine)
                .group_by(workers.c[name])
                for name in FILTERS
            ),
        )
        counts: dict[str, dict[str, int]] = {name: {} for name in ("total", *FILTERS)}
        with self.engine.connect() as conn:
            rows = conn.execute(statement, {"placement_agency": placement_agency.lower()}).all()
        for dimension, value, n in rows:
            counts[dimension][value] = int(n)
        return counts


def read_only_engine(url: str, connections: int, password: str | None = None) -> Engine:
    """A pool of read-only connections: PostgreSQL refuses any write on them. Each read is one
    statement in autocommit (no BEGIN, no ROLLBACK) and a pooled connection is not pinged before
    use (``_once_more`` reads again on a fresh one when the database was restarted meanwhile):
    the read's own round trip is the only one. ``password``: the role's, when the URL carries
    none (``REGISTRY_READER_PASSWORD``, from a Secret; the gateway's own ``PGPASSWORD`` is for
    its own database)."""
    args = database_connect_args(url)
    if url.startswith("postgresql"):
        args = {
            **args,
            "options": "-c default_transaction_read_only=on",
            "application_name": APPLICATION_NAME,
        }
        if password and make_url(url).password is None:
            args["password"] = password
    return create_engine(
        url, pool_size=connections, max_overflow=5, connect_args=args, isolation_level="AUTOCOMMIT"
    )


class Registry(DependencyProvider):
    """A ``RegistryReader`` over ``REGISTRATION_READ_DATABASE_URL``, or None without it (the
    gateway then asks the registration service over RPC)."""

    def setup(self):
        url = self.container.config.get(SETTING)
        self.engine = (
            read_only_engine(
                url,
                min(self.container.max_workers, 20),
                self.container.config.get(PASSWORD_SETTING),
            )
            if url
            else None
        )

    def stop(self):
        if self.engine is not None:
            self.engine.dispose()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx) -> RegistryReader | None:
        return RegistryReader(self.engine) if self.engine is not None else None
