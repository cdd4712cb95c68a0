"""The access log: who read which worker's record, staff included, for the data protection
officer (``dpo``).

One row per answered read of a worker's record (the routes marked ``audited`` in the route table:
the worker, the timeline, the family, the disclosures, the export), written before the answer
leaves. Append-only: the database refuses UPDATE and DELETE on the table (a trigger, migration
0007), so nobody who reads records can erase that they did.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, insert

from pmi_common.store import newest_first

from .auth import Caller
from .models import access_log as table

PAGE = 100


def record(
    conn: Connection, caller: Caller, worker_id: str, what: str, correlation_id: str | None
) -> None:
    conn.execute(
        insert(table).values(
            at=dt.datetime.now(dt.UTC),
            worker_id=worker_id,
            actor_role=caller.role,
            actor_subject=caller.subject,
            actor_agency=caller.agency,
            what=what,
            correlation_id=correlation_id,
        )
    )


def of_worker(
    conn: Connection, worker_id: str, limit: int = PAGE, cursor: str | None = None
) -> dict:
    """Who read the worker's record, newest first; ``next_cursor`` pages to older reads."""
    rows, next_cursor = newest_first(conn, table, worker_id, limit, cursor)
    return {
        "items": [
            {
                "at": r.at.isoformat(),
                "worker_id": r.worker_id,
                "role": r.actor_role,
                "subject": r.actor_subject,
                "agency": r.actor_agency,
                "what": r.what,
                "correlation_id": r.correlation_id,
            }
            for r in rows
        ],
        "next_cursor": next_cursor,
    }
