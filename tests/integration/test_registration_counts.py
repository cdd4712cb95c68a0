"""The registry's counts (``/stats``) are kept by the database as workers are written: after
registrations one by one and in bulk, status changes, a change that moves no count, and a
deletion, the kept counts are what counting the whole table says."""

import pytest
from sqlalchemy import create_engine, text

COUNTED = ("stage", "status", "regency", "destination_country")
INSERT = """
INSERT INTO workers (id, nik, nik_digest, full_name, birth_date, sex, phone, address, regency,
                     destination_country, occupation, placement_agency, cycle, status, stage,
                     documents_complete, documents_sequence, orientation_completed,
                     registered_at, updated_at, version)
SELECT gen_random_uuid()::text, lpad(k::text, 16, '0'), md5(k::text), 'Siti', date '1990-01-01',
       'F', '+6281234567890', '{}'::json, (ARRAY['Blitar', 'Kediri', 'Malang'])[k % 3 + 1],
       (ARRAY['HK', 'TW'])[k % 2 + 1], 'caregiver', 'PT Sinar Jaya', 1, 'registered',
       'pre_departure', false, 0, false, now(), now(), 1
FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS k
"""


@pytest.fixture
def registry(database_urls):
    engine = create_engine(database_urls["registration"])
    yield engine
    engine.dispose()


def kept(conn) -> dict:
    return {
        (dimension, value): int(n)
        for dimension, value, n in conn.execute(
            text(
                "SELECT dimension, value, sum(n) FROM worker_counts GROUP BY dimension, value "
                "HAVING sum(n) <> 0"
            )
        )
    }


def counted(conn) -> dict:
    counts = {("total", ""): conn.execute(text("SELECT count(*) FROM workers")).scalar()}
    for column in COUNTED:
        counts.update(
            {
                (column, value): n
                for value, n in conn.execute(
                    text(f"SELECT {column}, count(*) FROM workers GROUP BY {column}")
                )
            }
        )
    return {key: n for key, n in counts.items() if n}


def test_counts_follow_every_write_to_the_registry(registry):
    with registry.begin() as conn:
        conn.execute(text(INSERT), {"first": 1, "last": 1})
        conn.execute(text(INSERT), {"first": 2, "last": 3})
    with registry.begin() as conn:
        conn.execute(text(INSERT), {"first": 4, "last": 5000})  # a bulk import
    with registry.begin() as conn:
        conn.execute(
            text("UPDATE workers SET status = 'departed', stage = 'abroad' WHERE nik LIKE '%7'")
        )
        conn.execute(text("UPDATE workers SET regency = 'Tulungagung' WHERE nik LIKE '%11'"))
        conn.execute(text("UPDATE workers SET phone = '+6280000000000'"))  # counts nothing
        conn.execute(text("DELETE FROM workers WHERE nik LIKE '%99'"))
    with registry.connect() as conn:
        assert kept(conn) == counted(conn)
        assert kept(conn)[("status", "departed")] == 500
        assert conn.execute(text("SELECT count(*) FROM worker_counts")).scalar() < 100


def test_a_rolled_back_registration_counts_nothing(registry):
    with registry.begin() as conn:
        conn.execute(text(INSERT), {"first": 1, "last": 10})
    with pytest.raises(RuntimeError), registry.begin() as conn:
        conn.execute(text(INSERT), {"first": 11, "last": 20})
        raise RuntimeError("the registration failed after its insert")
    with registry.connect() as conn:
        assert (
            kept(conn)[("total", "")]
            == 10
            == conn.execute(text("SELECT count(*) FROM workers")).scalar()
        )
