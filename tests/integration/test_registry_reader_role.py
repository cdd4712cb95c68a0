"""The gateway's read-only roles: on registration's database (REGISTRATION_READ_DATABASE_URL)
and on the agencies database (AGENCIES_READ_DATABASE_URL), made by infra/postgres/roles.sh as
compose runs it, granted by the script on a database already migrated and by the migrations
(registration's 0007, the agencies' 0002) on one migrated after the role exists. One reads
workers and the timeline, the other agreements, and nothing else; they write nothing."""

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from pmi_common.migrations import upgrade

ROOT = Path(__file__).resolve().parents[2]
ROLE = "gateway_registry"
AGREEMENTS_ROLE = "gateway_agencies"


@pytest.fixture
def fresh_database(private_servers):
    admin = create_engine(private_servers.database.admin_url, isolation_level="AUTOCOMMIT")
    made = []

    def make() -> str:
        name = f"pmi_test_reader_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return name

    yield make
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def run_roles_script(database, name: str, agencies: str) -> None:
    subprocess.run(
        ["sh", str(ROOT / "infra/postgres/roles.sh")],
        check=True,
        capture_output=True,
        env={
            **os.environ,
            "PGHOST": "127.0.0.1",
            "PGPORT": str(database.port),
            "POSTGRES_USER": "postgres",
            "REGISTRATION_DATABASE": name,
            "REGISTRY_READER_PASSWORD": "reader-secret",
            "AGENCIES_DATABASE": agencies,
            "AGREEMENTS_READER_PASSWORD": "agreements-secret",
        },
    )


def as_reader(database, name: str):
    return create_engine(
        f"postgresql+psycopg2://{ROLE}:reader-secret@127.0.0.1:{database.port}/{name}"
    )


def as_agreements_reader(database, name: str):
    return create_engine(
        f"postgresql+psycopg2://{AGREEMENTS_ROLE}:agreements-secret@127.0.0.1:{database.port}/{name}"
    )


def assert_reads_only_agreements(engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM agreements")).scalar() == 0
    for statement in (
        "SELECT count(*) FROM disclosures",
        "SELECT count(*) FROM webhook_endpoints",
        "DELETE FROM agreements",
        "CREATE TABLE copied (id int)",
    ):
        with engine.connect() as conn, pytest.raises(DBAPIError) as refused:
            conn.execute(text(statement))
        assert refused.value.orig.pgcode in ("42501", "25006")  # no privilege; read-only


def assert_reads_only_the_registry(engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM workers")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM timeline")).scalar() == 0
    for statement in (
        "SELECT count(*) FROM outbox",
        "SELECT count(*) FROM worker_counts",
        "DELETE FROM workers",
        "CREATE TABLE copied (id int)",
    ):
        with engine.connect() as conn, pytest.raises(DBAPIError) as refused:
            conn.execute(text(statement))
        assert refused.value.orig.pgcode in ("42501", "25006")  # no privilege; read-only


def test_the_role_made_after_the_tables_reads_the_registry_and_nothing_else(
    private_servers, fresh_database
):
    database = private_servers.database
    name, agencies = fresh_database(), fresh_database()
    upgrade("registration", database.url(name))
    upgrade("agencies", database.url(agencies))
    run_roles_script(database, name, agencies)
    run_roles_script(database, name, agencies)  # a second run (a deployment made before) too
    engine, agreements = as_reader(database, name), as_agreements_reader(database, agencies)
    try:
        assert_reads_only_the_registry(engine)
        assert_reads_only_agreements(agreements)
    finally:
        engine.dispose()
        agreements.dispose()


def test_a_database_migrated_after_the_role_exists_grants_it_the_same(
    private_servers, fresh_database
):
    database = private_servers.database
    first, agencies_first = fresh_database(), fresh_database()
    # the roles, before any table (as compose's first start)
    run_roles_script(database, first, agencies_first)
    second, agencies_second = fresh_database(), fresh_database()
    upgrade("registration", database.url(second))
    upgrade("agencies", database.url(agencies_second))
    engine = as_reader(database, second)
    agreements = as_agreements_reader(database, agencies_second)
    try:
        assert_reads_only_the_registry(engine)
        assert_reads_only_agreements(agreements)
    finally:
        engine.dispose()
        agreements.dispose()
