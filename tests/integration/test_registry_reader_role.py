"""The gateway's read-only role on registration's database (REGISTRATION_READ_DATABASE_URL):
made by infra/postgres/roles.sh as compose runs it, granted by the script on a database already
migrated and by registration's migration 0007 on one migrated after the role exists. It reads
workers and the timeline, and nothing else; it writes nothing."""

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


def run_roles_script(database, name: str) -> None:
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
        },
    )


def as_reader(database, name: str):
    return create_engine(
        f"postgresql+psycopg2://{ROLE}:reader-secret@127.0.0.1:{database.port}/{name}"
    )


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
    name = fresh_database()
    upgrade("registration", database.url(name))
    run_roles_script(database, name)
    run_roles_script(database, name)  # a second run (a deployment made before) changes nothing
    engine = as_reader(database, name)
    try:
        assert_reads_only_the_registry(engine)
    finally:
        engine.dispose()


def test_a_database_migrated_after_the_role_exists_grants_it_the_same(
    private_servers, fresh_database
):
    database = private_servers.database
    first = fresh_database()
    run_roles_script(database, first)  # the role, before any table (as compose's first start)
    second = fresh_database()
    upgrade("registration", database.url(second))
    engine = as_reader(database, second)
    try:
        assert_reads_only_the_registry(engine)
    finally:
        engine.dispose()
