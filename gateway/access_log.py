"""The access log: who read which worker's record, staff included, for the data protection
officer (``dpo``).

One row per answered read of a worker's record (the routes marked ``audited`` in the route table:
the worker, the timeline, the family, the disclosures, the export), committed before the answer
leaves. Append-only: the database refuses UPDATE and DELETE on the table (a trigger, migration
0007), so nobody who reads records can erase that they did.

The rows are written in group commits (``AccessLog``): a read hands its row to one writer and
waits until the transaction that holds it has committed; the writer commits, in one statement,
every row handed to it while the previous commit was under way. Under load one commit (and one
flush of the database's log) serves many reads instead of one each; alone, a read waits for its
own commit, as before. A read whose row could not be written gets the error, never its answer.
"""

from __future__ import annotations

import datetime as dt

import structlog
from eventlet.event import Event
from eventlet.queue import LightQueue
from nameko.extensions import SharedExtension
from sqlalchemy import Connection, insert

from pmi_common.store import make_engine, newest_first

from .auth import Caller
from .models import access_log as table

log = structlog.get_logger(__name__)

PAGE = 100
GROUP_LIMIT = 500  # rows in one commit, at most


def row_of(caller: Caller, worker_id: str, what: str, correlation_id: str | None) -> dict:
    return {
        "at": dt.datetime.now(dt.UTC),
        "worker_id": worker_id,
        "actor_role": caller.role,
        "actor_subject": caller.subject,
        "actor_agency": caller.agency,
        "what": what,
        "correlation_id": correlation_id,
    }


class AccessLog(SharedExtension):
    """The gateway's writer of access-log rows, in group commits (see the module)."""

    def setup(self):
        self.engine = make_engine(self.container.config["DATABASE_URL"], workers=1)
        self.handed: LightQueue = LightQueue()
        self._writer = None

    def start(self):
        self._writer = self.container.spawn_managed_thread(
            self._write_forever, identifier="access-log"
        )

    def stop(self):
        if self._writer is not None:
            self._writer.kill()
        while self.handed.qsize():  # never answered: the gateway stops
            _, committed = self.handed.get_nowait()
            committed.send_exception(RuntimeError("the gateway is stopping"))
        self.engine.dispose()

    def kill(self):
        self.stop()

    def record(self, caller: Caller, worker_id: str, what: str, correlation_id: str | None) -> None:
        """Return once the row is committed; raise what kept it from being written."""
        committed = Event()
        self.handed.put((row_of(caller, worker_id, what, correlation_id), committed))
        committed.wait()

    def _write_forever(self) -> None:
        while True:
            group = [self.handed.get()]  # waits for the first row
            while len(group) < GROUP_LIMIT and self.handed.qsize():
                group.append(self.handed.get_nowait())
            self._commit(group)

    def _commit(self, group: list[tuple[dict, Event]]) -> None:
        """One transaction for the group; if it fails, each row in one of its own, so a row
        that cannot be written fails its own read alone."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(table), [row for row, _ in group])
        except Exception as exc:  # noqa: BLE001 - each read waiting on it gets the error
            if len(group) > 1:
                for one in group:
                    self._commit([one])
                return
            log.warning("access_log_not_written", error=type(exc).__name__)
            group[0][1].send_exception(exc)
            return
        for _, committed in group:
            committed.send(None)


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
