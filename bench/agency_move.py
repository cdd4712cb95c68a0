"""Moving a deployment's agency tables out of the gateway's database (``pmi agency move-tables``),
timed: ``python -m bench.agency_move [--disclosures N]`` (1,000,000 by default).

On a PostgreSQL of the run's own (``tests/servers.py``): a gateway database migrated to 0009 (the
last revision that held the agency tables) and filled by ``generate_series`` in SQL with
``disclosures`` disclosure rows (a few a worker, as agencies' reads and deliveries leave them),
agreements, recruits and delivered webhook deliveries; then the move into a new agencies
database, timed from the call to its return (the agencies database migrated, every table copied,
sequences set, the gateway's tables marked), and the gateway's migration that drops them.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

from pmi_common.migrations import alembic_config, upgrade

BEFORE_THE_MOVE = "0009"  # the gateway's last revision with the agency tables

SEED_SQL = {
    "agreements": """
        INSERT INTO agreements (agency, fields, purpose, legal_basis, approved_by, valid_from,
                                valid_until, placement_agency, version, changed_at, changed_by)
        SELECT 'agency-' || n, '{"worker_registered": ["worker_id"]}', 'protection',
               'public_task', 'Kepala BP3MI', now() - interval '1 year', NULL, NULL, 1, now(),
               'bench'
        FROM generate_series(1, 20) AS n""",
    "recruits": """
        INSERT INTO recruits (worker_id, placement_agency)
        SELECT md5(n::text)::uuid::text, 'PT Sinar Jaya ' || (n % 50)
        FROM generate_series(1, :workers) AS n""",
    "disclosures": """
        INSERT INTO disclosures (worker_id, agency, channel, what, reference, fields,
                                 disclosed_at)
        SELECT md5((n % :workers)::text)::uuid::text, 'agency-' || (n % 20),
               CASE WHEN n % 3 = 0 THEN 'http' ELSE 'amqp' END, 'worker_status_changed',
               md5(n::text)::uuid::text, '["worker_id", "status", "stage", "occurred_at"]',
               now() - (n || ' seconds')::interval
        FROM generate_series(1, :disclosures) AS n""",
    "webhook_deliveries": """
        INSERT INTO webhook_deliveries (endpoint_id, agency, worker_id, order_key, occurred_at,
                                        sequence, event_id, event_type, envelope, state,
                                        attempts, created_at, delivered_at)
        SELECT 'ep-' || (n % 20), 'agency-' || (n % 20), md5((n % :workers)::text)::uuid::text,
               md5((n % :workers)::text)::uuid::text, now(), 1, md5(n::text)::uuid::text,
               'worker_status_changed', '{"data": {"status": "departed"}}', 'delivered', 1,
               now(), now()
        FROM generate_series(1, :disclosures / 10) AS n""",
}


def seed(gateway_url: str, disclosures: int) -> None:
    """A gateway database at 0009 holding agency rows (``disclosures`` disclosures)."""
    config = alembic_config("gateway", gateway_url)
    command.upgrade(config, BEFORE_THE_MOVE)
    engine = create_engine(gateway_url)
    values = {"disclosures": disclosures, "workers": max(1, disclosures // 4)}
    with engine.begin() as conn:
        for sql in SEED_SQL.values():
            conn.execute(text(sql), values)
    engine.dispose()


def measure(gateway_url: str, agencies_url: str) -> dict:
    from services.agencies.move import move_tables

    started = time.perf_counter()
    moved = move_tables(gateway_url, agencies_url)
    moved_in = time.perf_counter() - started
    started = time.perf_counter()
    upgrade("gateway", gateway_url)
    dropped_in = time.perf_counter() - started
    return {
        "rows": moved.rows,
        "total_rows": moved.total,
        "move_seconds": round(moved_in, 2),
        "gateway_drop_seconds": round(dropped_in, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--disclosures", type=int, default=1_000_000)
    args = parser.parse_args()
    from tests.servers import postgresql

    root = Path(tempfile.mkdtemp(prefix="pmi-bench-move-"))
    root.chmod(0o755)
    with postgresql(root, durable=True) as database:
        admin = create_engine(database.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in ("bench_gateway", "bench_agencies"):
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        gateway_url, agencies_url = database.url("bench_gateway"), database.url("bench_agencies")
        started = time.perf_counter()
        seed(gateway_url, args.disclosures)
        seeded_in = time.perf_counter() - started
        result = {"disclosures": args.disclosures, "seed_seconds": round(seeded_in, 2)}
        result.update(measure(gateway_url, agencies_url))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
