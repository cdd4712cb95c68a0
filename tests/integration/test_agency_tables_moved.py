"""A deployment made when the agency tables lived in the gateway's database upgrades: its rows are
copied into the agencies database (``pmi agency move-tables``), and only then does the gateway's
migration drop them there."""

import datetime as dt
import json
import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, func, insert, inspect, select, text

from bench.agency_move import seed
from pmi_common.migrations import upgrade
from pmi_common.sealing import Sealer
from services.agencies.domain import new_secret
from services.agencies.models import agreements, disclosures, recruits, webhook_deliveries
from services.agencies.move import TABLES, MoveRefused, move_tables
from services.agencies.repository import AgenciesRepository
from services.agencies.service import AgenciesService
from services.agencies.webhook_repository import WebhookRepository
from tests.integration.test_webhook_secrets_sealed import (
    KEY as SEALING_KEY,
)
from tests.integration.test_webhook_secrets_sealed import (
    NOW,
    an_endpoint_stored_before_sealing,
    stored_secrets,
)


@pytest.fixture
def two_databases(private_servers):
    """A gateway database at 0009 holding agency rows (40 disclosures), and an empty database
    for the agencies service."""
    admin = create_engine(private_servers.database.admin_url, isolation_level="AUTOCOMMIT")
    names = [f"pmi_move_{uuid.uuid4().hex[:8]}_{role}" for role in ("gateway", "agencies")]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    gateway_url, agencies_url = (private_servers.database.url(name) for name in names)
    seed(gateway_url, 40)
    yield gateway_url, agencies_url
    with admin.connect() as conn:
        for name in names:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def counts(url: str, *tables) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {t.name: conn.execute(select(func.count()).select_from(t)).scalar() for t in tables}
    engine.dispose()
    return found


def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_the_gateway_keeps_its_agency_tables_until_they_are_moved(two_databases):
    gateway_url, _ = two_databases

    with pytest.raises(RuntimeError, match="pmi agency move-tables"):
        upgrade("gateway", gateway_url)

    assert counts(gateway_url, disclosures)[disclosures.name] == 40


def test_the_rows_move_to_the_agencies_database_and_then_leave_the_gateway_s(two_databases):
    gateway_url, agencies_url = two_databases
    before = counts(gateway_url, agreements, recruits, disclosures, webhook_deliveries)

    moved = move_tables(gateway_url, agencies_url)

    assert counts(agencies_url, agreements, recruits, disclosures, webhook_deliveries) == before
    assert {t: moved.rows[t] for t in before} == before
    engine = create_engine(agencies_url)
    with engine.begin() as conn:  # the ids go on after those copied
        repository = AgenciesRepository(conn)
        worker = conn.execute(select(disclosures.c.worker_id).limit(1)).scalar()
        had = repository.disclosures_of(worker, limit=100)["items"]
        conn.execute(
            insert(disclosures).values(
                worker_id=worker,
                agency="agency-1",
                channel="http",
                what="get_worker",
                reference="/api/v1/workers",
                fields=["status"],
                disclosed_at=dt.datetime.now(dt.UTC),
            )
        )
        ids = conn.execute(select(disclosures.c.id).order_by(disclosures.c.id)).scalars().all()
        assert ids[-1] == 41 and len(set(ids)) == 41
        assert len(repository.disclosures_of(worker, limit=100)["items"]) == len(had) + 1
    engine.dispose()

    upgrade("gateway", gateway_url)

    assert not table_names(gateway_url) & set(TABLES)
    assert "idempotency_keys" in table_names(gateway_url)
    assert move_tables(gateway_url, agencies_url).rows == {}


def test_the_move_writes_nothing_where_the_agencies_database_already_holds_rows(two_databases):
    gateway_url, agencies_url = two_databases
    upgrade("agencies", agencies_url)
    engine = create_engine(agencies_url)
    with engine.begin() as conn:
        conn.execute(insert(recruits).values(worker_id="w-1", placement_agency="PT Lain"))
    engine.dispose()

    with pytest.raises(MoveRefused, match="recruits"):
        move_tables(gateway_url, agencies_url)

    assert counts(agencies_url, disclosures, recruits) == {"disclosures": 0, "recruits": 1}
    with pytest.raises(RuntimeError, match="pmi agency move-tables"):
        upgrade("gateway", gateway_url)


def test_pmi_agency_move_tables_moves_them(two_databases, monkeypatch, capsys):
    from pmi_tools.cli import main as pmi

    gateway_url, agencies_url = two_databases
    monkeypatch.setenv("GATEWAY_DATABASE_URL", gateway_url)
    monkeypatch.setenv("AGENCIES_DATABASE_URL", agencies_url)

    pmi(["agency", "move-tables"])

    assert "disclosures: 40 rows" in capsys.readouterr().out
    assert counts(agencies_url, disclosures)["disclosures"] == 40


def test_webhook_secrets_the_gateway_left_readable_are_sealed_on_the_way(two_databases):
    """A gateway migrated without ``WEBHOOK_SECRET_KEY`` (it does not hold it) left its endpoints'
    secrets readable: the move seals them with the agencies service's key, or writes nothing."""
    gateway_url, agencies_url = two_databases
    secret = new_secret()
    gateway = create_engine(gateway_url)
    endpoint = an_endpoint_stored_before_sealing(gateway, [{"value": secret, "expires_at": None}])
    gateway.dispose()
    production = {"PMI_ENV": "production"}

    with pytest.raises(MoveRefused, match="WEBHOOK_SECRET_KEY is not set"):
        move_tables(gateway_url, agencies_url, production)
    assert counts(agencies_url, disclosures) == {"disclosures": 0}

    move_tables(gateway_url, agencies_url, {**production, "WEBHOOK_SECRET_KEY": SEALING_KEY})

    agencies = create_engine(agencies_url)
    stored = stored_secrets(agencies, endpoint)
    assert secret not in json.dumps(stored)
    assert [set(s) for s in stored] == [{"sealed", "expires_at"}]
    sealer = Sealer(SEALING_KEY)
    signing = WebhookRepository(agencies, sealer).get(endpoint).signing_secrets(NOW)
    assert [sealer.open(s) for s in signing] == [secret]
    agencies.dispose()


def a_role_that_may_only_connect(database_url: str, admin_url: str) -> str:
    """``database_url`` as a role with CONNECT to it and no privilege on any table (as the
    agencies service's own role is given on the gateway's database)."""
    role = f"pmi_catalog_{uuid.uuid4().hex[:8]}"
    database = database_url.rsplit("/", 1)[1]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC'))
        conn.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"'))
    admin.dispose()
    return database_url.replace("postgres@", f"{role}@", 1)


def test_the_agencies_service_will_not_start_before_the_tables_are_moved(
    two_databases, private_servers
):
    gateway_url, agencies_url = two_databases
    catalog_url = a_role_that_may_only_connect(gateway_url, private_servers.database.admin_url)
    settings = {
        "PMI_ENV": "development",
        "AMQP_URI": private_servers.broker.amqp_uri(),
        "AGENCIES_DATABASE_URL": agencies_url,
        "GATEWAY_CATALOG_URL": catalog_url,
        "STARTUP_SECONDS": "0",
    }

    # as its own process, as it is run: the runner configures the whole process's logging
    refused = subprocess.run(
        [sys.executable, "-m", "pmi_common.runner", "agencies"],
        env={**os.environ, **settings},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "pmi agency move-tables" in refused.stderr
    assert "disclosures" in refused.stderr
    assert "agreements" not in table_names(agencies_url)  # not even migrated

    move_tables(gateway_url, agencies_url)

    config = {"GATEWAY_CATALOG_URL": catalog_url, "STARTUP_SECONDS": "0"}
    AgenciesService.check_tables_moved(config)  # moved (marked): it starts
    upgrade("gateway", gateway_url)
    AgenciesService.check_tables_moved(config)  # and once the gateway dropped its copy
