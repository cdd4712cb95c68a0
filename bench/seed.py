"""Workers in bulk, straight into the registration database: ``INSERT ... SELECT`` over
``generate_series``, so a million rows take seconds, not hours.

Each row is a valid worker as the registration service would have stored it: a NIK that encodes
its birth date and sex (province 33, unique per row), its keyed digest (the platform's HMAC, with
the run's ``NIK_DIGEST_KEY``), an East Java address, and a status spread over the whole lifecycle
with the flags and dates that status implies. Each gets the two timeline entries registration
writes (registered, and the status change), so the timeline table grows with the workers.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

REGENCIES = (
    "Blitar",
    "Blitar",
    "Tulungagung",
    "Malang",
    "Ponorogo",
    "Kediri",
    "Banyuwangi",
    "Jember",
    "Madiun",
    "Trenggalek",
)
COUNTRIES = ("HK", "TW", "MY", "SG", "SA", "KR", "JP")

# status by k % 100: where a large registry's workers are in their lifecycle
WORKERS_SQL = """
WITH k AS (
  SELECT k,
         date '1980-01-01' + (k % 7000)::int AS birth,
         CASE WHEN k % 4 = 0 THEN 'M' ELSE 'F' END AS sex,
         (ARRAY[{regencies}])[k % {n_regencies} + 1] AS regency,
         (ARRAY[{countries}])[k % {n_countries} + 1] AS country,
         CASE WHEN k % 100 < 30 THEN 'registered'
              WHEN k % 100 < 40 THEN 'documents_verified'
              WHEN k % 100 < 45 THEN 'orientation_completed'
              WHEN k % 100 < 50 THEN 'cleared_for_departure'
              WHEN k % 100 < 85 THEN 'departed'
              WHEN k % 100 < 93 THEN 'returned'
              WHEN k % 100 < 96 THEN 'in_reintegration'
              WHEN k % 100 < 98 THEN 'reintegrated'
              ELSE 'withdrawn' END AS status,
         now() - make_interval(days => (k % 1500)::int) AS registered_at
  FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS k
), w AS (
  SELECT k.*,
         '33' || lpad(((k / 9999) % 90 + 10)::text, 2, '0')
              || lpad(((k / 899910) % 90 + 10)::text, 2, '0')
              || lpad((extract(day FROM birth)::int
                       + CASE WHEN sex = 'F' THEN 40 ELSE 0 END)::text, 2, '0')
              || to_char(birth, 'MM') || to_char(birth, 'YY')
              || lpad((k % 9999 + 1)::text, 4, '0') AS nik,
         CASE WHEN status IN ('registered', 'withdrawn') THEN 'pre_departure'
              WHEN status IN ('documents_verified', 'orientation_completed',
                              'cleared_for_departure') THEN 'pre_departure'
              WHEN status = 'departed' THEN 'abroad' ELSE 'return' END AS stage,
         status NOT IN ('registered', 'withdrawn') AS documents_complete,
         status NOT IN ('registered', 'withdrawn', 'documents_verified') AS orientation_done,
         status IN ('departed', 'returned', 'in_reintegration', 'reintegrated') AS departed,
         status IN ('returned', 'in_reintegration', 'reintegrated') AS returned
  FROM k
), inserted AS (
INSERT INTO workers (id, nik, nik_digest, full_name, birth_date, sex, phone, address, regency,
                     destination_country, occupation, placement_agency, bpjs_number, cycle,
                     status, stage, documents_complete, documents_sequence,
                     orientation_completed, departed_on, employer, returned_on, return_reason,
                     registered_at, updated_at, version)
SELECT gen_random_uuid()::text, nik, encode(hmac(nik, :key, 'sha256'), 'hex'),
       (ARRAY['Siti', 'Sri', 'Dewi', 'Rina', 'Ahmad', 'Yuliana', 'Eko', 'Nur'])[k % 8 + 1]
         || ' ' || (ARRAY['Wahyuni', 'Lestari', 'Marlina', 'Fauzi', 'Astuti', 'Prasetyo',
                          'Hidayah', 'Rahayu', 'Susanti'])[(k / 8) % 9 + 1],
       birth, sex, '+62812' || lpad((k % 10000000)::text, 7, '0'),
       json_build_object('village', 'Desa ' || (k % 300), 'district', 'Kecamatan ' || (k % 22),
                         'regency', regency, 'province', 'Jawa Timur'),
       regency, country, 'domestic worker', 'PT Penempatan ' || (k % 150),
       CASE WHEN orientation_done AND status <> 'orientation_completed'
            THEN lpad((k % 100000000000)::text, 11, '0') END,
       1, status, stage, documents_complete, CASE WHEN documents_complete THEN 1 ELSE 0 END,
       orientation_done,
       CASE WHEN departed THEN (registered_at + interval '90 days')::date END,
       CASE WHEN departed THEN 'Employer ' || (k % 5000) END,
       CASE WHEN returned THEN (registered_at + interval '820 days')::date END,
       CASE WHEN returned THEN 'contract_ended' END,
       registered_at, registered_at + interval '1 day', 1
FROM w
RETURNING id
)
INSERT INTO seeded SELECT id FROM inserted
"""


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def seed_workers(engine: Engine, first: int, last: int, key: str, attempts: int = 3) -> float:
    """Insert workers ``first..last`` (and their timelines); seconds it took."""
    started = time.perf_counter()
    for attempt in range(1, attempts + 1):
        try:
            _insert(engine, first, last, key)
            break
        except OperationalError:  # a deadlock with the running service's own writes
            if attempt == attempts:
                raise
            time.sleep(1)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE workers"))
        conn.execute(text("VACUUM ANALYZE timeline"))
    return time.perf_counter() - started


def _insert(engine: Engine, first: int, last: int, key: str) -> None:
    workers = WORKERS_SQL.format(
        regencies=_sql_list(REGENCIES),
        n_regencies=len(REGENCIES),
        countries=_sql_list(COUNTRIES),
        n_countries=len(COUNTRIES),
    )
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pgcrypto"))
        conn.execute(text("LOCK TABLE workers, timeline IN ACCESS EXCLUSIVE MODE"))
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        indexes = _secondary_indexes(conn)
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
        conn.execute(text("CREATE TEMP TABLE seeded (id text) ON COMMIT DROP"))
        conn.execute(text(workers), {"first": first, "last": last, "key": key})
        conn.execute(text(_TIMELINE_FOR_SEEDED))
        for _, definition in indexes:
            conn.execute(text(definition))


_TIMELINE_FOR_SEEDED = """
INSERT INTO timeline (worker_id, cycle, occurred_at, event_type, source, event_id, from_status,
                      to_status, stage, reason, actor_role, actor_agency, actor_subject,
                      correlation_id, details)
SELECT w.id, 1, w.registered_at, e.event_type, 'registration', gen_random_uuid()::text,
       NULL, CASE WHEN e.n = 2 THEN w.status END, CASE WHEN e.n = 2 THEN w.stage END,
       CASE WHEN e.n = 2 THEN 'imported' END, 'operator', 'bulk-import', 'bench', 'bench-seed',
       '{}'::json
FROM seeded JOIN workers w ON w.id = seeded.id
CROSS JOIN (VALUES (1, 'worker_registered'), (2, 'worker_status_changed')) AS e(n, event_type)
ORDER BY w.id, e.n
"""


def _secondary_indexes(conn) -> list[tuple[str, str]]:
    """The plain (not unique) indexes of the two tables: rebuilt once after a bulk insert instead
    of updated row by row (their definitions are read back from the catalogue, as migrated)."""
    return [
        tuple(row)
        for row in conn.execute(
            text(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "JOIN pg_class c ON c.relname = i.indexname "
                "JOIN pg_index x ON x.indexrelid = c.oid "
                "WHERE i.schemaname = 'public' AND i.tablename IN ('workers', 'timeline') "
                "AND NOT x.indisunique"
            )
        )
    ]


def sample_ids(engine: Engine, count: int, status: str | None = None) -> list[str]:
    """``count`` worker ids picked at random over the whole table (of those in ``status``)."""
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM workers")).scalar()
        percent = 100.0 * count * 3 / max(total, 1) * (4 if status else 1)
        sample = f"TABLESAMPLE BERNOULLI ({percent})" if percent < 100 else ""
        where = "WHERE status = :status" if status else ""
        rows = conn.execute(
            text(f"SELECT id FROM workers {sample} {where} ORDER BY random() LIMIT :n"),
            {"n": count, "status": status},
        )
        return [row[0] for row in rows]
