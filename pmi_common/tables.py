"""The messaging tables every service's database holds beside its own: outbox, inbox, sequences,
and the answers to commands sent with an idempotency key."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    TypeDecorator,
    text,
)

BigId = BigInteger().with_variant(Integer(), "sqlite")


class AwareDateTime(TypeDecorator):
    """A moment in time, always read back as an aware UTC datetime: PostgreSQL keeps the offset,
    SQLite (the quick local run) does not, so the value is stored and read as UTC there."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None and dialect.name == "sqlite":
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table
    sequences: Table
    answers: Table
    archive: Table


def add_messaging_tables(metadata: MetaData) -> MessagingTables:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(64), nullable=False),
        Column("event_version", Integer, nullable=False),
        Column("worker_id", String(36), nullable=True),
        Column("stream_id", String(64), nullable=False),
        Column("sequence", Integer, nullable=False),
        Column("occurred_at", AwareDateTime(), nullable=False),
        Column("envelope", JSON, nullable=False),
        Column("published_at", AwareDateTime(), nullable=True),
        Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
        Index("ix_outbox_type_time", "event_type", "occurred_at"),
        Index("ix_outbox_stream", "stream_id", "sequence", unique=True),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(64), nullable=False),
        Column("source", String(32), nullable=False),
        Column("applied_at", AwareDateTime(), nullable=False),
        # rows arrive in time order: a block range index finds the old ones for a few pages
        Index("ix_inbox_applied_at", "applied_at", postgresql_using="brin"),
    )
    sequences = Table(
        "stream_sequences",
        metadata,
        Column("stream_id", String(64), primary_key=True),
        Column("last", Integer, nullable=False),
    )
    answers = Table(
        "command_answers",
        metadata,
        Column("key", String(64), primary_key=True),
        Column("answer", JSON, nullable=False),
        Column("created_at", AwareDateTime(), nullable=False),
        Column("expires_at", AwareDateTime(), nullable=False, index=True),
    )
    archive = Table(
        # published outbox rows past their retention, compact: the envelope as zlib-compressed
        # JSON, one index; backfill reads it before the outbox (retention.py)
        "outbox_archive",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=False),
        Column("event_type", String(64), nullable=False),
        Column("worker_id", String(36), nullable=True),
        Column("occurred_at", AwareDateTime(), nullable=False),
        Column("envelope", LargeBinary, nullable=False),
    )
    return MessagingTables(
        outbox=outbox, inbox=inbox, sequences=sequences, answers=answers, archive=archive
    )


def combined(*schemas: MetaData) -> MetaData:
    """One schema holding the tables of ``schemas`` (a database two processes' tables share:
    migrations and checks compare it whole)."""
    whole = MetaData()
    for schema in schemas:
        for table in schema.tables.values():
            table.to_metadata(whole)
    return whole
