"""Retention: what each service's messaging tables keep, and for how long.

- ``inbox``: a row per applied event, kept to recognise a redelivery. Redeliveries come within
  the retry horizon (the relay's republish after a crash, the broker's redelivery, the retries of
  ``EVENT_RETRY_DELAYS``, an operator's replay of dead letters, which were never applied):
  rows older than ``RETENTION_INBOX_DAYS`` (30) are deleted.
- ``outbox``: published rows older than ``RETENTION_OUTBOX_DAYS`` (30) move to ``outbox_archive``
  (the envelope zlib-compressed, one index), from which ``backfill`` still sends history. The
  outbox keeps what is unpublished and recent.
- ``command_answers``: deleted when they expire (``IDEMPOTENCY_TTL``, 24 hours): they hold
  personal data.

``prune(engine, tables, policy)`` does all three in batches of ``RETENTION_BATCH`` rows, each
batch its own short transaction, so a run never holds locks for long and may stop at any point.
Every service runs it every ``RETENTION_SECONDS`` (3600); ``pmi retention run`` runs it at once.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, text

from .tables import MessagingTables

DAY = 24 * 3600


@dataclass(frozen=True)
class RetentionPolicy:
    inbox_days: float = 30
    outbox_days: float = 30
    batch: int = 5000

    @classmethod
    def from_config(cls, config: dict) -> RetentionPolicy:
        return cls(
            inbox_days=float(config.get("RETENTION_INBOX_DAYS", cls.inbox_days)),
            outbox_days=float(config.get("RETENTION_OUTBOX_DAYS", cls.outbox_days)),
            batch=int(config.get("RETENTION_BATCH", cls.batch)),
        )


def pack(envelope: dict) -> bytes:
    return zlib.compress(json.dumps(envelope, separators=(",", ":")).encode(), 6)


def unpack(blob: bytes) -> dict:
    return json.loads(zlib.decompress(blob))


def prune(
    engine: Engine, tables: MessagingTables, policy: RetentionPolicy, now: dt.datetime | None = None
) -> dict[str, int]:
    """One retention run; how many rows each step touched."""
    now = now or dt.datetime.now(dt.UTC)
    return {
        "inbox_deleted": _delete_inbox(
            engine, tables, now - dt.timedelta(days=policy.inbox_days), policy.batch
        ),
        "outbox_archived": _archive_outbox(
            engine, tables, now - dt.timedelta(days=policy.outbox_days), policy.batch
        ),
        "answers_deleted": _delete_answers(engine, tables, now, policy.batch),
    }


def table_sizes(engine: Engine, tables: MessagingTables) -> dict[str, dict]:
    """Rows and bytes (with indexes and TOAST; PostgreSQL only) of the messaging tables."""
    sizes = {}
    with engine.connect() as conn:
        for table in (tables.inbox, tables.outbox, tables.archive, tables.answers):
            rows = conn.execute(select(func.count()).select_from(table)).scalar()
            size = None
            if engine.dialect.name == "postgresql":
                size = conn.execute(
                    text("SELECT pg_total_relation_size(:t)"), {"t": table.name}
                ).scalar()
            sizes[table.name] = {"rows": rows, "bytes": size}
    return sizes


def _delete_inbox(engine: Engine, tables: MessagingTables, before: dt.datetime, batch: int) -> int:
    inbox = tables.inbox
    due = select(inbox.c.event_id).where(inbox.c.applied_at < before).limit(batch)
    return _delete_batches(engine, delete(inbox).where(inbox.c.event_id.in_(due)))


def _delete_answers(engine: Engine, tables: MessagingTables, now: dt.datetime, batch: int) -> int:
    answers = tables.answers
    due = select(answers.c.key).where(answers.c.expires_at <= now).limit(batch)
    return _delete_batches(engine, delete(answers).where(answers.c.key.in_(due)))


def _delete_batches(engine: Engine, statement: Any) -> int:
    total = 0
    while True:
        with engine.begin() as conn:
            deleted = conn.execute(statement).rowcount
        total += deleted
        if deleted == 0:
            return total


def _archive_outbox(
    engine: Engine, tables: MessagingTables, before: dt.datetime, batch: int
) -> int:
    """Move published rows older than ``before`` to the archive, oldest first (outbox ids grow
    with time, so each batch is found at the start of the primary key)."""
    outbox, archive = tables.outbox, tables.archive
    total = 0
    while True:
        with engine.begin() as conn:
            rows = conn.execute(
                select(
                    outbox.c.id,
                    outbox.c.event_type,
                    outbox.c.worker_id,
                    outbox.c.occurred_at,
                    outbox.c.envelope,
                )
                .where(outbox.c.published_at.is_not(None), outbox.c.occurred_at < before)
                .order_by(outbox.c.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return total
            conn.execute(
                insert(archive),
                [
                    {
                        "id": row.id,
                        "event_type": row.event_type,
                        "worker_id": row.worker_id,
                        "occurred_at": row.occurred_at,
                        "envelope": pack(row.envelope),
                    }
                    for row in rows
                ],
            )
            conn.execute(delete(outbox).where(outbox.c.id.in_([row.id for row in rows])))
        total += len(rows)
