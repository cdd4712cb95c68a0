"""Agencies' webhook signing secrets are sealed at rest with ``WEBHOOK_SECRET_KEY``: written
sealed, opened only to sign, and an existing deployment's readable secrets sealed by a migration
(on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from gateway.testing import TEST_WEBHOOK_SECRET_KEY
from pmi_common.migrations import alembic_config
from pmi_common.sealing import Sealer, Unsealable
from services.agencies import domain
from services.agencies.webhook_repository import WebhookRepository
from tests import servers

KEY = "a-deployment-webhook-secret-key-of-more-than-thirty-two-characters"
NOW = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def fresh_gateway_database(private_servers):
    """An empty database of its own, for migrating step by step."""
    name = f"pmi_sealing_{uuid.uuid4().hex[:8]}"
    admin = create_engine(private_servers.database.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield servers.current().database.url(name)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def migrate(url: str, revision: str, down: bool = False) -> None:
    engine = create_engine(url)
    config = alembic_config("gateway", url)
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)
        connection.commit()
    engine.dispose()


def stored_secrets(engine, endpoint_id: str) -> list[dict]:
    with engine.connect() as conn:
        raw = conn.execute(
            text("SELECT secrets FROM webhook_endpoints WHERE id = :id"), {"id": endpoint_id}
        ).scalar_one()
    return raw if isinstance(raw, list) else json.loads(raw)


def an_endpoint_stored_before_sealing(engine, secrets: list[dict]) -> str:
    endpoint_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO webhook_endpoints (id, agency, url, description, event_types, "
                "secrets, status, created_at, changed_by) VALUES (:id, 'bpjs', "
                "'https://hooks.bpjs.example/pmi', '', CAST(:types AS JSON), "
                "CAST(:secrets AS JSON), 'enabled', :now, 'test')"
            ),
            {
                "id": endpoint_id,
                "types": json.dumps(["worker_departed"]),
                "secrets": json.dumps(secrets),
                "now": NOW,
            },
        )
    return endpoint_id


def test_the_migration_seals_the_secrets_a_deployment_stored_readable(
    fresh_gateway_database, monkeypatch
):
    url = fresh_gateway_database
    migrate(url, "0007")
    engine = create_engine(url)
    current, old = domain.new_secret(), domain.new_secret()
    rotating = an_endpoint_stored_before_sealing(
        engine,
        [
            {"value": current, "expires_at": None},
            {"value": old, "expires_at": (NOW + dt.timedelta(hours=3)).isoformat()},
        ],
    )
    monkeypatch.setenv("PMI_ENV", "production")
    monkeypatch.setenv("WEBHOOK_SECRET_KEY", "too short")

    with pytest.raises(SystemExit) as refused:  # a key given is a usable one
        migrate(url, "0008")
    assert "WEBHOOK_SECRET_KEY is shorter than 32 characters" in str(refused.value)
    assert stored_secrets(engine, rotating)[0] == {"value": current, "expires_at": None}

    monkeypatch.setenv("WEBHOOK_SECRET_KEY", KEY)
    migrate(url, "0009")  # the last revision with the agency tables

    stored = stored_secrets(engine, rotating)
    assert current not in json.dumps(stored) and old not in json.dumps(stored)
    assert [set(s) for s in stored] == [{"sealed", "expires_at"}] * 2
    endpoint = WebhookRepository(engine, Sealer(KEY)).get(rotating)
    signing = endpoint.signing_secrets(NOW)
    assert [Sealer(KEY).open(s) for s in signing] == [current, old]
    with pytest.raises(Unsealable):
        Sealer(TEST_WEBHOOK_SECRET_KEY).open(signing[0])  # another key opens nothing

    migrate(url, "0007", down=True)  # and back, with the key
    assert [s["value"] for s in stored_secrets(engine, rotating)] == [current, old]
    engine.dispose()


def test_without_the_key_the_gateway_s_migration_leaves_them_to_the_move(
    fresh_gateway_database, monkeypatch
):
    """The gateway does not hold ``WEBHOOK_SECRET_KEY``: migrated without it, the secrets stay as
    they were, for ``pmi agency move-tables`` to seal with the agencies service's key
    (``test_agency_tables_moved``)."""
    url = fresh_gateway_database
    migrate(url, "0007")
    engine = create_engine(url)
    secret = domain.new_secret()
    endpoint = an_endpoint_stored_before_sealing(engine, [{"value": secret, "expires_at": None}])
    monkeypatch.setenv("PMI_ENV", "production")
    monkeypatch.delenv("WEBHOOK_SECRET_KEY", raising=False)

    migrate(url, "0009")

    assert stored_secrets(engine, endpoint) == [{"value": secret, "expires_at": None}]
    engine.dispose()


def test_a_new_or_rotated_secret_is_shown_once_and_stored_sealed(database_urls):
    engine = create_engine(database_urls["agencies"])
    webhooks = WebhookRepository(engine, Sealer(KEY))

    endpoint, secret = webhooks.add(
        "bpjs", "https://hooks.bpjs.example/pmi", ("worker_departed",), "test", NOW
    )
    rotated, new = webhooks.rotate(endpoint.id, "test", NOW, dt.timedelta(hours=24))

    stored = json.dumps(stored_secrets(engine, endpoint.id))
    assert secret not in stored and new not in stored
    opened = [webhooks.sealer.open(s) for s in rotated.signing_secrets(NOW)]
    assert opened == [new, secret]
    engine.dispose()
