"""Each service's own database role, as infra/postgres/databases.sh makes them for compose: the
role owns its database and everything in it, and cannot connect to another service's database;
run again on a deployment whose tables the superuser owns, the script gives them to the role."""

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def platform(private_servers):
    """Two services' databases by the script, named for this test; dropped afterwards."""
    database = private_servers.database
    suffix = uuid.uuid4().hex[:6]
    names = [f"registration_{suffix}", f"documents_{suffix}"]
    passwords = {name: uuid.uuid4().hex for name in names}

    def run_script():
        subprocess.run(
            ["sh", str(ROOT / "infra/postgres/databases.sh")],
            check=True,
            capture_output=True,
            env={
                **os.environ,
                "PGHOST": "127.0.0.1",
                "PGPORT": str(database.port),
                "POSTGRES_USER": "postgres",
                "PLATFORM_DATABASES": " ".join(names),
                **{f"DB_PASSWORD_{name.upper()}": passwords[name] for name in names},
            },
        )

    def engine(role: str, name: str):
        return create_engine(
            f"postgresql+psycopg2://{role}:{passwords[role]}@127.0.0.1:{database.port}/{name}"
        )

    admin = create_engine(database.admin_url, isolation_level="AUTOCOMMIT")
    yield names, run_script, engine, database
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
    admin.dispose()


def test_a_service_owns_its_database_and_cannot_reach_another(platform):
    (registration, documents), run_script, engine, database = platform
    run_script()

    own = engine(registration, registration)
    with own.begin() as conn:  # what a migration does: the role creates and owns its tables
        conn.execute(text("CREATE TABLE workers (id serial PRIMARY KEY, name text)"))
        conn.execute(text("INSERT INTO workers (name) VALUES ('Siti')"))
    with own.connect() as conn:
        assert conn.execute(text("SELECT name FROM workers")).scalar() == "Siti"
    own.dispose()

    with pytest.raises(OperationalError, match="permission denied for database"):
        engine(registration, documents).connect()
    # the suite's server trusts loopback; compose's checks the password the script set
    admin = create_engine(database.admin_url)
    with admin.connect() as conn:
        stored = conn.execute(
            text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": documents}
        ).scalar()
    admin.dispose()
    assert stored.startswith("SCRAM-SHA-256$")

    run_script()  # again: nothing changes, nothing fails
    with engine(documents, documents).connect() as conn:
        assert conn.execute(text("SELECT current_user")).scalar() == documents


def test_a_deployment_made_by_the_superuser_is_given_to_each_role(platform):
    (registration, _documents), run_script, engine, database = platform
    admin = create_engine(database.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{registration}"'))
    admin.dispose()
    superuser = create_engine(database.url(registration))
    with superuser.begin() as conn:  # as compose made it before: every table the superuser's
        conn.execute(text("CREATE TABLE workers (id serial PRIMARY KEY, name text)"))
        conn.execute(text("CREATE TABLE timeline (id bigint GENERATED ALWAYS AS IDENTITY)"))
        conn.execute(text("CREATE SEQUENCE certificate_numbers"))
        conn.execute(
            text("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN END'")
        )
    superuser.dispose()

    run_script()

    with engine(registration, registration).begin() as conn:
        owners = conn.execute(
            text(
                "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S')"
            )
        ).all()
        assert {owner for _, owner in owners} == {registration}, owners
        assert {name for name, _ in owners} >= {"workers", "timeline", "certificate_numbers"}
        conn.execute(text("ALTER TABLE workers ADD COLUMN phone text"))  # a later migration
        conn.execute(text("INSERT INTO workers (name) VALUES ('Siti')"))
        assert conn.execute(text("SELECT nextval('certificate_numbers')")).scalar() == 1
        function_owner = conn.execute(
            text("SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'refuse'")
        ).scalar()
        assert function_owner == registration
