"""What the platform's databases hold at the end of a run: each database's size, and the rows and
bytes (table, indexes and TOAST together) of each table, so a capacity plan can price a worker and
an event in bytes."""

from __future__ import annotations

from sqlalchemy import text

from .platform import Platform

TABLES_SQL = """
SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'alembic_version'
"""


def sizes(platform: Platform) -> dict:
    out = {}
    for service in platform.urls:
        engine = platform.engine(service)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
            tables = {}
            for name, estimate, size in conn.execute(text(TABLES_SQL)):
                rows = (
                    conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar()
                    if estimate < 100_000
                    else estimate
                )
                tables[name] = {
                    "rows": rows,
                    "mb": round(size / 2**20, 2),
                    "bytes_per_row": round(size / rows) if rows else None,
                }
            total = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
        out[service] = {"mb": round(total / 2**20, 1), "tables": tables}
    return out
