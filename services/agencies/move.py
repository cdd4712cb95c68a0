"""An existing deployment's agency tables moved out of the gateway's database into the agencies
service's own (``pmi agency move-tables``), once, while neither the gateway nor the agencies
service runs.

Each table goes across with PostgreSQL's ``COPY`` in its binary form (out of the gateway's
database into a spooled file, then into the agencies database), not row by row; every table is
read from one snapshot of the gateway's database and written in one transaction of the agencies
database, whose sequences then continue after the ids copied. A table the agencies database
already holds rows in stops the move before anything is written. Once the rows are committed
there, each table left in the gateway's database is marked moved (a comment on the table): the
gateway's migration that drops them (0010) refuses to drop a table holding rows without the mark.

Webhook signing secrets a deployment still stored readable (a gateway migrated without the key:
the gateway does not hold ``WEBHOOK_SECRET_KEY``) are sealed on the way in, in the same
transaction, with the agencies service's key from the environment the move runs in; without a
usable key the move stops before anything is written.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from psycopg2 import extensions
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from pmi_common.migrations import upgrade
from pmi_common.sealing import webhook_sealer
from pmi_common.tls import database_connect_args

# the tables the gateway's database held for the agencies service, and nothing else
TABLES = (
    "agreements",
    "agreement_changes",
    "agency_settings",
    "disclosures",
    "recruits",
    "agency_deliveries",
    "webhook_endpoints",
    "webhook_deliveries",
    "webhook_attempts",
    "notices",
    "inbox",
    "outbox",
    "stream_sequences",
    "command_answers",
    "outbox_archive",
)
MOVED = "moved to the agencies database"
SPOOL = 64 * 1024 * 1024  # bytes of a table kept in memory before the copy spills to disk


# the gateway's database as the agencies service looks into it before it starts: its catalogue only
# (which tables, and the move's mark on them), which a role with CONNECT and nothing else reads
CATALOG_SETTING = "GATEWAY_CATALOG_URL"


class MoveRefused(Exception):
    """The move would overwrite or mix rows: nothing was written."""


@dataclass(frozen=True)
class Moved:
    rows: dict[str, int]  # table -> rows copied

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def move_tables(gateway_url: str, agencies_url: str, environ: Mapping = os.environ) -> Moved:
    """Copy the agency tables the gateway's database still holds into the agencies database
    (migrated to its head first), readable webhook secrets sealed with ``environ``'s
    ``WEBHOOK_SECRET_KEY``, then mark them moved in the gateway's database."""
    if not (gateway_url.startswith("postgresql") and agencies_url.startswith("postgresql")):
        raise MoveRefused("the agency tables are moved between PostgreSQL databases only")
    upgrade("agencies", agencies_url)
    source, target = _engine(gateway_url), _engine(agencies_url)
    try:
        with source.connect() as conn:
            present = [t for t in TABLES if _exists(conn, t) and not _moved(conn, t)]
        if not present:
            return Moved({})
        rows = _copy(source, target, present, environ)
        with source.begin() as conn:
            for table in present:
                conn.execute(text(f'COMMENT ON TABLE "{table}" IS :mark'), {"mark": MOVED})
        return Moved(rows)
    finally:
        source.dispose()
        target.dispose()


def waiting(gateway_url: str) -> list[str]:
    """The agency tables the gateway's database still holds, not marked moved: an upgraded
    deployment whose rows ``pmi agency move-tables`` has not copied yet (the gateway's migration
    0010 drops the tables once moved, and empty ones at once)."""
    engine = _engine(gateway_url)
    try:
        with engine.connect() as conn:
            return [t for t in TABLES if _exists(conn, t) and not _moved(conn, t)]
    finally:
        engine.dispose()


def wait_for_the_move(gateway_url: str, seconds: float, pause: float = 2.0) -> None:
    """Return once the gateway's database holds no agency table left to move; past ``seconds``
    (a gateway still migrating a new deployment drops its empty ones within them), ``SystemExit``
    naming the tables and the command that moves them. Before its first event the agencies
    service would otherwise write into its empty database, and the move refuses a database
    holding rows."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            left, reason = waiting(gateway_url), None
        except DBAPIError as exc:  # the gateway's database not reachable yet: asked again
            left, reason = None, str(exc.orig).strip().splitlines()[0]
        if left == []:
            return
        if time.monotonic() >= deadline:
            if left is None:
                raise SystemExit(
                    f"the agencies service will not start: the gateway's database "
                    f"({CATALOG_SETTING}) cannot be read: {reason}"
                )
            raise SystemExit(
                "the agencies service will not start: the gateway's database still holds the "
                f"agency tables {', '.join(left)}, not moved to the agencies database. Stop the "
                "gateway, run `pmi agency move-tables` (with GATEWAY_DATABASE_URL and "
                "AGENCIES_DATABASE_URL set), then start the gateway and the agencies service"
            )
        time.sleep(pause)


def _engine(url: str) -> Engine:
    return create_engine(url, connect_args=database_connect_args(url), pool_size=1)


def _exists(conn, table: str) -> bool:
    return conn.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": f"public.{table}"}).one()[
        0
    ]


def _moved(conn, table: str) -> bool:
    mark = conn.execute(
        text("SELECT obj_description(to_regclass(:t), 'pg_class')"), {"t": f"public.{table}"}
    ).one()[0]
    return mark == MOVED


@contextmanager
def _blocking():
    """psycopg2's COPY refuses to run with a wait callback (the green one eventlet's processes
    set): the command blocks for its copies, as nothing else runs beside it."""
    callback = extensions.get_wait_callback()
    extensions.set_wait_callback(None)
    try:
        yield
    finally:
        extensions.set_wait_callback(callback)


def _copy(source: Engine, target: Engine, tables: list[str], environ: Mapping) -> dict[str, int]:
    with _blocking():
        return _copy_blocking(source, target, tables, environ)


def _copy_blocking(
    source: Engine, target: Engine, tables: list[str], environ: Mapping
) -> dict[str, int]:
    rows: dict[str, int] = {}
    out_raw, in_raw = source.raw_connection(), target.raw_connection()
    try:
        out_raw.set_session(isolation_level="REPEATABLE READ", readonly=True)  # one snapshot
        reading, writing = out_raw.cursor(), in_raw.cursor()
        for table in tables:
            writing.execute(f'SELECT EXISTS (SELECT FROM "{table}")')
            if writing.fetchone()[0]:
                raise MoveRefused(f"the agencies database already holds rows in {table}")
        for table in tables:
            reading.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
                (table,),
            )
            columns = ", ".join(f'"{name}"' for (name,) in reading.fetchall())
            with tempfile.SpooledTemporaryFile(max_size=SPOOL) as spool:
                reading.copy_expert(
                    f'COPY (SELECT {columns} FROM "{table}") TO STDOUT (FORMAT binary)', spool
                )
                spool.seek(0)
                writing.copy_expert(f'COPY "{table}" ({columns}) FROM STDIN (FORMAT binary)', spool)
                rows[table] = writing.rowcount
            writing.execute(
                "SELECT pg_get_serial_sequence(%s, 'id') FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = %s AND column_name = 'id'",
                (f'"{table}"', table),
            )
            found = writing.fetchone()
            if found and found[0]:
                writing.execute(
                    f'SELECT setval(%s, COALESCE((SELECT max(id) FROM "{table}"), 0) + 1, false)',
                    (found[0],),
                )
        if "webhook_endpoints" in tables:
            _seal_readable(writing, environ)
        in_raw.commit()
        out_raw.rollback()
    except BaseException:
        in_raw.rollback()
        raise
    finally:
        out_raw.invalidate()  # read-only, repeatable read: not for the pool
        in_raw.close()
    return rows


def _seal_readable(cursor, environ: Mapping) -> None:
    """Seal, in the agencies database, the webhook secrets copied readable (``{"value": ...}``)
    as the agencies service stores them (``{"sealed": ...}``); the key asked for only when one
    is found."""
    cursor.execute("SELECT id, secrets FROM webhook_endpoints")
    sealer = None
    for endpoint_id, raw in cursor.fetchall():
        stored = (raw if isinstance(raw, list) else json.loads(raw or "[]")) or []
        if not any("value" in secret for secret in stored):
            continue
        if sealer is None:
            try:
                sealer = webhook_sealer(environ)
            except ValueError as exc:
                raise MoveRefused(
                    f"webhook secrets are stored readable and cannot be sealed: {exc} (set the "
                    "agencies service's key, then move again)"
                ) from exc
        sealed = [
            {"sealed": sealer.seal(s["value"]), "expires_at": s.get("expires_at")}
            if "value" in s
            else s
            for s in stored
        ]
        cursor.execute(
            "UPDATE webhook_endpoints SET secrets = CAST(%s AS json) WHERE id = %s",
            (json.dumps(sealed), endpoint_id),
        )
