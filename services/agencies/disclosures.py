"""The disclosure record: what each agency received about each worker, and when.

Append-only (rows are inserted, never changed), one row per worker per disclosure, read by
worker through ``ix_disclosures_worker`` (worker_id, id): a worker's record is one index range
however many rows the table holds. Writers insert in batches (the agencies service one per batch of
deliveries, the gateway one per answer).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Table, insert, select

from pmi_common.paging import decode_cursor, page
from services.agencies.domain import Disclosure
from services.agencies.models import disclosures as table

PAGE = 100


def record(conn: Connection, disclosures: list[Disclosure], now: dt.datetime) -> int:
    rows = [
        {
            "worker_id": d.worker_id,
            "agency": d.agency,
            "channel": d.channel,
            "what": d.what,
            "reference": d.reference[:200],
            "fields": list(d.fields),
            "disclosed_at": now,
        }
        for d in disclosures
    ]
    if rows:
        conn.execute(insert(table), rows)
    return len(rows)


def newest_first(
    conn: Connection, rows_of: Table, worker_id: str, limit: int, cursor: str | None
) -> tuple[list, str | None]:
    """A page of a worker's rows in a table keyed by an increasing ``id``, newest first, and the
    cursor to the older ones (the disclosures and the access log are read this way)."""
    stmt = select(rows_of).where(rows_of.c.worker_id == worker_id)
    if cursor:
        (before,) = decode_cursor(cursor, (int,))
        stmt = stmt.where(rows_of.c.id < before)
    return page(
        conn.execute(stmt.order_by(rows_of.c.id.desc()).limit(limit + 1)).all(),
        limit,
        key=lambda row: (row.id,),
    )


def of_worker(
    conn: Connection, worker_id: str, limit: int = PAGE, cursor: str | None = None
) -> dict:
    """A worker's disclosures, newest first; ``next_cursor`` pages to older ones."""
    rows, next_cursor = newest_first(conn, table, worker_id, limit, cursor)
    return {
        "items": [
            {
                "agency": r.agency,
                "channel": r.channel,
                "what": r.what,
                "reference": r.reference,
                "fields": r.fields,
                "disclosed_at": r.disclosed_at.isoformat(),
            }
            for r in rows
        ],
        "next_cursor": next_cursor,
    }
