"""The database door of a service: units of work that write state and outbox events together,
and apply each incoming event at most once (the inbox)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, TypeVar, cast

from nameko.extensions import DependencyProvider
from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    MetaData,
    Table,
    TextClause,
    TextualSelect,
    bindparam,
    create_engine,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstanceState, Session

from .context import actor_of, command_key_of, correlation_of
from .events import Event, build_envelope
from .kept_answers import KeptAnswers, kept_answers
from .paging import decode_cursor, page
from .relay import OutboxRelay
from .tables import MessagingTables, add_messaging_tables
from .tls import database_connect_args
from .topology import own_topology

T = TypeVar("T")
DEFAULT_ANSWER_TTL_SECONDS = 24 * 3600  # as long as the gateway keeps its keys


def make_engine(url: str, workers: int = 3) -> Engine:
    """An engine whose pool keeps a connection for each of ``workers`` concurrent users (a
    process's nameko workers, its relay and inbox), so none opens and closes connections under
    load; a few more may open for a burst. ``pool_pre_ping`` lets a process outlive a database
    restart without handing a dead connection to a request."""
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    return create_engine(
        url,
        pool_size=workers,
        max_overflow=5,
        pool_pre_ping=True,
        executemany_mode="values_plus_batch",
        connect_args=database_connect_args(url),
    )


_quoted = postgresql.dialect().identifier_preparer.quote  # quotes what SQLite would need too


def on_conflict(
    dialect_name: str,
    table,
    rows: Sequence[dict],
    key: Sequence[str],
    update: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> tuple[TextClause | TextualSelect, dict]:
    """The statement and parameters that insert ``rows`` (dicts by column, all with the same
    columns) into ``table``, ``ON CONFLICT (key) DO NOTHING`` (or ``DO UPDATE`` of the
    ``update`` columns), ``RETURNING`` some columns; the same text on PostgreSQL and SQLite.

    SQLAlchemy's own ``insert(...).on_conflict_do_...()`` has no cache key, so it would be
    compiled again on every execution; these textual statements are built and compiled once
    for each shape and then only bound. On PostgreSQL, many rows go in as one array per column
    (``unnest``), so any number of rows is one shape: a statement of N ``VALUES`` rows for each
    N would fill the compiled cache. Only the table's own column names enter the text."""
    columns, key, update, returning = tuple(rows[0]), tuple(key), tuple(update), tuple(returning)
    if dialect_name == "postgresql" and len(rows) > 1:
        return (
            _unnest_statement(table, columns, key, update, returning),
            {column: [row[column] for row in rows] for column in columns},
        )
    return (
        _values_statement(table, columns, key, len(rows), update, returning),
        {
            f"{column}_{number}": value
            for number, row in enumerate(rows)
            for column, value in row.items()
        },
    )


def _conflict_clause(
    key: tuple[str, ...], update: tuple[str, ...], returning: tuple[str, ...]
) -> str:
    sql = f" ON CONFLICT ({', '.join(map(_quoted, key))}) "
    sql += (
        ("DO UPDATE SET " + ", ".join(f"{_quoted(c)} = excluded.{_quoted(c)}" for c in update))
        if update
        else "DO NOTHING"
    )
    return sql + (" RETURNING " + ", ".join(map(_quoted, returning)) if returning else "")


@lru_cache(maxsize=128)
def _values_statement(
    table,
    columns: tuple[str, ...],
    key: tuple[str, ...],
    rows: int,
    update: tuple[str, ...],
    returning: tuple[str, ...],
) -> TextClause | TextualSelect:
    values = ", ".join(
        "(" + ", ".join(f":{column}_{row}" for column in columns) + ")" for row in range(rows)
    )
    stmt = text(
        f"INSERT INTO {_quoted(table.name)} ({', '.join(map(_quoted, columns))}) "
        f"VALUES {values}" + _conflict_clause(key, update, returning)
    )
    stmt = stmt.bindparams(
        *(
            bindparam(f"{column}_{row}", type_=table.c[column].type)
            for row in range(rows)
            for column in columns
        )
    )
    return stmt.columns(*(table.c[column] for column in returning)) if returning else stmt


@lru_cache(maxsize=128)
def _unnest_statement(
    table,
    columns: tuple[str, ...],
    key: tuple[str, ...],
    update: tuple[str, ...],
    returning: tuple[str, ...],
) -> TextClause | TextualSelect:
    dialect = postgresql.dialect()
    arrays = ", ".join(
        f"CAST(:{column} AS {table.c[column].type.compile(dialect=dialect)}[])"
        for column in columns
    )
    stmt = text(
        f"INSERT INTO {_quoted(table.name)} ({', '.join(map(_quoted, columns))}) "
        f"SELECT * FROM unnest({arrays})" + _conflict_clause(key, update, returning)
    )
    return stmt.columns(*(table.c[column] for column in returning)) if returning else stmt


def _dialect_name(executor: Session | Connection) -> str:
    """The database a session or a connection speaks to: ``postgresql`` or ``sqlite``."""
    if isinstance(executor, Session):
        return executor.get_bind().dialect.name
    return executor.dialect.name


def is_id(value: object) -> bool:
    """Whether ``value`` reads as a UUID, the form every id here takes. Anything else names
    nothing, so a lookup may answer "not found" without asking the database (PostgreSQL would
    refuse to compare it with a ``uuid`` column)."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def insert_if_absent(session: Session, table, key: str, **values) -> bool:
    """Insert a row unless one with the same ``key`` exists; True when this call inserted it.

    Two transactions racing to create the same row both succeed: the second waits for the first
    and then inserts nothing, instead of failing on the unique key. The statement is built and
    compiled once per table; each call only binds its values."""
    stmt, params = on_conflict(_dialect_name(session), table, [values], (key,))
    result = cast(CursorResult, session.execute(stmt, params))  # an INSERT's: it has a rowcount
    return result.rowcount == 1


def upsert(session: Session, table, key: str | list[str], values: dict, update: list[str]) -> None:
    """Insert a row, or when one with the same ``key`` exists, set its ``update`` columns to
    ``values``' (PostgreSQL's and SQLite's ``ON CONFLICT DO UPDATE``, one statement, no race)."""
    keys = (key,) if isinstance(key, str) else tuple(key)
    session.execute(*on_conflict(_dialect_name(session), table, [values], keys, update))


def hold_rows(
    session: Session, entity: type[T], table, ids: Iterable[str], blank: Callable[[str], dict]
) -> tuple[dict[str, T], set[str]]:
    """Lock the rows of ``entity`` whose ids are ``ids``, adding a row of ``blank(id)`` (by
    column) for each id not yet stored: the rows by id, loaded afresh and locked until the
    transaction ends, and the ids of those this call added.

    This is how a batch of events takes the locks of every worker it is about at once: one
    statement for the rows that exist (in id order, the order every unit of work locks them in,
    so batches running at once wait for each other but never deadlock) and, for ids seen for the
    first time, one insert that returns the new rows, instead of two statements for each event."""
    key = table.primary_key.columns.values()[0]
    wanted = sorted(set(ids))
    held = _lock_rows(session, entity, key, wanted)
    missing = [row_id for row_id in wanted if row_id not in held]
    if not missing:
        return held, set()
    blanks = [blank(row_id) for row_id in missing]
    stmt, params = on_conflict(
        _dialect_name(session), table, blanks, (key.name,), returning=tuple(table.c.keys())
    )
    added = {
        _id_of(row): row for row in session.scalars(select(entity).from_statement(stmt), params)
    }
    held.update(added)
    raced = [row_id for row_id in missing if row_id not in added]
    if raced:  # another transaction added them meanwhile: waited for, then held like the rest
        held.update(_lock_rows(session, entity, key, raced))
    return held, set(added)


def _lock_rows(session: Session, entity: type[T], key, ids: list[str]) -> dict[str, T]:
    rows = session.scalars(_lock_statement(cast(type, entity), key), {"ids": ids})
    return {_id_of(row): row for row in rows}


@lru_cache(maxsize=64)
def _lock_statement(entity: type, key):
    return (
        select(entity)
        .where(key.in_(bindparam("ids", expanding=True)))
        .order_by(key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _id_of(instance: object) -> str:
    identity = cast(InstanceState, inspect(instance)).identity
    assert identity is not None  # a row read from the database
    return identity[0]


def upsert_many(
    session: Session, table, key: str | list[str], rows: list[dict], update: list[str]
) -> None:
    """``upsert`` of many rows in one statement (no two of them with the same ``key``)."""
    if not rows:
        return
    keys = (key,) if isinstance(key, str) else tuple(key)
    session.execute(*on_conflict(_dialect_name(session), table, rows, keys, update))


def _serialise_on(session: Session, key: str) -> None:
    """Commands with the same key take turns (a transaction-scoped advisory lock), so a second
    one still running when the first commits sees its answer instead of deciding afresh (a
    registration would see its own worker and call it a duplicate). SQLite serialises writes."""
    if _dialect_name(session) == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SqlUnitOfWork:
    """The unit of work on PostgreSQL (or SQLite): one database transaction, the service's
    repository over it, and ``publish`` into the outbox in the same transaction."""

    def __init__(
        self,
        session: Session,
        tables: MessagingTables,
        source: str,
        correlation_id: str,
        actor: dict | None,
        repository: Callable[[Session], Any] | None = None,
    ):
        self.session = session
        self.tables = tables
        self.source = source
        self.correlation_id = correlation_id
        self.actor = actor
        self.published: list[dict] = []
        self._outbox_rows: list[dict] = []  # written together when the work is done
        self._offered: set[str] = set()  # event ids recorded in the inbox by this transaction
        self._claimed: set[str] = set()  # ... of them, those not seen before, not yet applied
        self._repository_of = repository
        self._repository: Any = None

    @property
    def repository(self) -> Any:
        """The service's repository over this transaction (``Database(repository=...)``)."""
        if self._repository is None:
            if self._repository_of is None:
                raise TypeError("this service's Database was given no repository")
            self._repository = self._repository_of(self.session)
        return self._repository

    def next_sequence(self, stream_id: str) -> int:
        stmt = _next_sequence_statement(self.tables.sequences)
        return self.session.execute(stmt, {"stream_id": stream_id}).scalar_one()

    def publish(
        self,
        event_type: str,
        data: dict,
        *,
        worker_id: str | None = None,
        stream_id: str | None = None,
    ) -> dict:
        """Add an event to the outbox; it is published after, and only if, this work commits."""
        stream = stream_id or worker_id
        if stream is None:
            raise ValueError("an event needs a worker_id or a stream_id")
        envelope = build_envelope(
            event_type=event_type,
            source=self.source,
            data=data,
            worker_id=worker_id,
            sequence=self.next_sequence(stream),
            correlation_id=self.correlation_id,
            actor=self.actor,
            occurred_at=utcnow(),
        )
        self._outbox_rows.append(
            {
                "event_id": envelope["event_id"],
                "event_type": event_type,
                "event_version": envelope["event_version"],
                "worker_id": worker_id,
                "stream_id": stream,
                "sequence": envelope["sequence"],
                "occurred_at": dt.datetime.fromisoformat(envelope["occurred_at"]),
                "envelope": envelope,
            }
        )
        self.published.append(envelope)
        return envelope

    def write_outbox(self) -> None:
        """Write the events published so far into the outbox, with one statement (SQLAlchemy's
        "insertmanyvalues"); the transaction then commits them with the rest of the work."""
        if self._outbox_rows:
            self.session.execute(_insert_statement(self.tables.outbox), self._outbox_rows)
            self._outbox_rows = []

    def claim_all(self, events: Sequence[Event]) -> None:
        """Record a batch's incoming events in the inbox with one statement (one round trip
        instead of one each); ``claim`` then answers for each from what this statement did."""
        if not events:
            return
        now = utcnow()
        rows = [
            {
                "event_id": event.event_id,
                "event_type": event.event_type,
                "source": event.source,
                "applied_at": now,
            }
            for event in events
        ]
        stmt, params = on_conflict(
            _dialect_name(self.session),
            self.tables.inbox,
            rows,
            ("event_id",),
            returning=("event_id",),
        )
        self._offered.update(event.event_id for event in events)
        self._claimed.update(self.session.execute(stmt, params).scalars())

    @property
    def claimed(self) -> frozenset[str]:
        """The ids of the events ``claim_all`` recorded that are still to be applied."""
        return frozenset(self._claimed)

    def claim(self, event: Event) -> bool:
        """Record an incoming event in the inbox; False when it was applied before (or already
        in this transaction: the same event twice in a batch is applied once)."""
        if event.event_id in self._offered:
            if event.event_id in self._claimed:
                self._claimed.discard(event.event_id)
                return True
            return False
        self._offered.add(event.event_id)
        row = {
            "event_id": event.event_id,
            "event_type": event.event_type,
            "source": event.source,
            "applied_at": utcnow(),
        }
        stmt, params = on_conflict(
            _dialect_name(self.session),
            self.tables.inbox,
            [row],
            ("event_id",),
            returning=("event_id",),
        )
        return self.session.execute(stmt, params).first() is not None


# each built and compiled once per table: a unit of work only binds values to them
@lru_cache(maxsize=64)
def _next_sequence_statement(table) -> TextClause:
    name = _quoted(table.name)
    return text(
        f"INSERT INTO {name} (stream_id, last) VALUES (:stream_id, 1) "
        f"ON CONFLICT (stream_id) DO UPDATE SET last = {name}.last + 1 RETURNING last"
    ).bindparams(bindparam("stream_id", type_=table.c.stream_id.type))


@lru_cache(maxsize=64)
def _insert_statement(table):
    return insert(table)


@lru_cache(maxsize=64)
def _answer_statement(answers):
    return select(answers.c.answer).where(answers.c.key == bindparam("key"))


# a query's statements, on PostgreSQL, all read the same committed state
ONE_SNAPSHOT = {"isolation_level": "REPEATABLE READ"}


class Store:
    """What a worker gets: ``transaction()``, ``command(fn)``, ``apply_once(event, fn)`` and
    ``read()``."""

    def __init__(
        self,
        engine: Engine,
        tables: MessagingTables,
        source: str,
        correlation_id: str,
        actor: dict | None,
        wake_relay: Callable[[], None],
        command_key: str | None = None,
        answer_ttl: dt.timedelta = dt.timedelta(seconds=DEFAULT_ANSWER_TTL_SECONDS),
        after_commit: Callable[[], None] | None = None,
        repository: Callable[[Session], Any] | None = None,
        answers: KeptAnswers | None = None,
    ):
        self.engine = engine
        self.repository_of = repository
        self.tables = tables
        self.source = source
        self.correlation_id = correlation_id
        self.actor = actor
        self._wake_relay = wake_relay
        self._applying: SqlUnitOfWork | None = None
        self.command_key = command_key
        self.answer_ttl = answer_ttl
        self._after_commit = after_commit
        self.answers = answers

    def command(self, run: Callable[[SqlUnitOfWork], T]) -> T:
        """Run a command in one transaction and return its (JSON-ready) answer.

        Sent with an idempotency key (the gateway's ``Idempotency-Key``, in the context data), the
        answer is recorded with the command's effect, in the same transaction: the same key again
        (a client's retry after a crash between commit and reply, or after an RPC timeout, or the
        broker redelivering the request to another instance) gets that answer and changes
        nothing. A refusal commits nothing and records nothing, so a retry is decided afresh.
        The answer is kept sealed (``pmi_common.kept_answers``)."""
        key = self.command_key
        if key is None:
            with self.transaction() as uow:
                return run(uow)
        if self.answers is None:
            raise TypeError("a keyed command needs the service's KeptAnswers")
        seal = self.answers
        answers = self.tables.answers
        try:
            with self.transaction() as uow:
                _serialise_on(uow.session, key)
                kept = uow.session.execute(_answer_statement(answers), {"key": key}).first()
                if kept is not None:
                    return seal.open(key, kept.answer)
                answer = run(uow)
                now = utcnow()
                uow.session.execute(
                    _insert_statement(answers),
                    {
                        "key": key,
                        "answer": seal.seal(key, answer),
                        "created_at": now,
                        "expires_at": now + self.answer_ttl,
                    },
                )
        except IntegrityError:
            # the same command ran at once elsewhere and recorded its answer first: ours rolled back
            with self.read() as session:
                kept = session.execute(select(answers.c.answer).where(answers.c.key == key)).first()
            if kept is None:
                raise
            return seal.open(key, kept.answer)
        if self._after_commit is not None:
            self._after_commit()
        return answer

    @contextmanager
    def transaction(self, actor: dict | None = None) -> Iterator[SqlUnitOfWork]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            uow = SqlUnitOfWork(
                session,
                self.tables,
                self.source,
                self.correlation_id,
                actor or self.actor,
                self.repository_of,
            )
            yield uow
            uow.write_outbox()
        if uow.published:
            self._wake_relay()

    @contextmanager
    def applying(self, events: Sequence[Event] = ()) -> Iterator[None]:
        """One transaction for every ``apply_once`` inside: how the inbox applies a batch of
        events. The inbox records of ``events`` (the batch) are written first, in one statement.
        It commits at the end, or rolls every event back if one raises."""
        with self.transaction() as uow:
            uow.claim_all(events)
            self._hold_workers(uow, events)
            self._applying = uow
            try:
                yield
            finally:
                self._applying = None

    def _hold_workers(self, uow: SqlUnitOfWork, events: Sequence[Event]) -> None:
        """Let a repository that keeps a record of each worker the events speak of
        (``hold_workers(ids, now)``) lock the records of the batch's new events at once."""
        hold = getattr(self.repository_of, "hold_workers", None)
        if hold is None:
            return
        ids = {
            event.worker_id
            for event in events
            if event.event_id in uow.claimed and is_id(event.worker_id)
        }
        if ids:
            uow.repository.hold_workers(ids, utcnow())

    def apply_once(self, event: Event, apply: Callable[[SqlUnitOfWork], T]) -> T | None:
        """Apply an incoming event with its inbox record, in one transaction: at most once."""
        if self._applying is None:  # not in a batch: a transaction of its own
            with self.applying():
                return self.apply_once(event, apply)
        uow = self._applying
        uow.actor = event.actor or self.actor
        uow.correlation_id = event.correlation_id or self.correlation_id
        return apply(uow) if uow.claim(event) else None

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for a query, reading the database as of one moment: on PostgreSQL its
        statements share one snapshot (``REPEATABLE READ``; a read never waits or fails for
        it). Under PostgreSQL's default each statement saw the latest commit, and a record read
        with what is loaded beside it could be read across a commit: a case whose referral says
        its letter was mailed, loaded a statement after the case's steps, which do not yet have
        the step that says so."""
        with Session(self.engine) as session:
            if self.engine.dialect.name == "postgresql":
                session.connection(execution_options=ONE_SNAPSHOT)
            yield session

    @contextmanager
    def queries(self) -> Iterator[Any]:
        """The service's repository over a read-only session, for a query's handler."""
        if self.repository_of is None:
            raise TypeError("this service's Database was given no repository")
        with self.read() as session:
            yield self.repository_of(session)


class Database(DependencyProvider):
    """The service's database and the relay that publishes its outbox.

    ``DATABASE_URL`` comes from the container's config; the relay starts with the container.
    """

    def __init__(
        self,
        metadata: MetaData,
        relay: bool = True,
        repository: Callable[[Session], Any] | None = None,
    ):
        """``repository``: builds the service's repository over a database session; handlers
        reach it as ``uow.repository`` (and queries through ``queries()``)."""
        self.metadata = metadata
        self.run_relay = relay
        self.repository = repository
        self.engine: Engine | None = None
        self.relay: OutboxRelay | None = None
        self.answers: KeptAnswers | None = None
        self._wake = threading.Event()
        # tests only: runs after a keyed command commits and before it answers (a crash there)
        self.after_commit: Callable[[], None] | None = None

    def setup(self):
        # the nameko workers, the relay and the inbox's batches each hold one at times
        self.engine = make_engine(
            self.container.config["DATABASE_URL"], workers=self.container.max_workers + 3
        )
        self.tables = messaging_tables(self.metadata)
        config = self.container.config
        self.relay = OutboxRelay(
            self.engine,
            self.tables,
            config["AMQP_URI"],
            self.container.service_name,
            declares=own_topology(self.container.service_name, config),
        )
        self.answer_ttl = dt.timedelta(
            seconds=float(config.get("IDEMPOTENCY_TTL", DEFAULT_ANSWER_TTL_SECONDS))
        )
        self.answers = kept_answers(config, self.container.service_name)

    def start(self):
        if self.run_relay:
            self.relay.prepare()
            self.container.spawn_managed_thread(self.relay.run, identifier="outbox-relay")

    def stop(self):
        if self.relay:
            self.relay.stop()
        if self.engine is not None:
            self.engine.dispose()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx) -> Store:
        assert self.engine is not None and self.relay is not None  # set up before any worker
        return Store(
            self.engine,
            self.tables,
            self.container.service_name,
            correlation_of(worker_ctx),
            actor_of(worker_ctx),
            self.relay.wake,
            command_key=command_key_of(worker_ctx),
            answer_ttl=self.answer_ttl,
            after_commit=self.after_commit,
            repository=self.repository,
            answers=self.answers,
        )


def messaging_tables(metadata: MetaData) -> MessagingTables:
    tables = metadata.tables
    if "outbox" in tables:
        return MessagingTables(
            tables["outbox"],
            tables["inbox"],
            tables["stream_sequences"],
            tables["command_answers"],
            tables["outbox_archive"],
        )
    return add_messaging_tables(metadata)


def oldest_unpublished(engine: Engine, tables: MessagingTables) -> Any:
    outbox = tables.outbox
    with engine.connect() as conn:
        return conn.execute(
            select(outbox.c.occurred_at)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.id)
            .limit(1)
        ).scalar()


def newest_first(
    executor: Session | Connection, rows_of: Table, worker_id: str, limit: int, cursor: str | None
) -> tuple[list, str | None]:
    """A page of a worker's rows in a table keyed by an increasing ``id``, newest first, and the
    cursor to the older ones (the disclosures and the access log are read this way)."""
    stmt = select(rows_of).where(rows_of.c.worker_id == worker_id)
    if cursor:
        (before,) = decode_cursor(cursor, (int,))
        stmt = stmt.where(rows_of.c.id < before)
    return page(
        executor.execute(stmt.order_by(rows_of.c.id.desc()).limit(limit + 1)).all(),
        limit,
        key=lambda row: (row.id,),
    )
