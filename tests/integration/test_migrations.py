"""Each service's migrations build exactly the schema its models describe, on PostgreSQL."""

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from tests.conftest import DATABASE_SERVICES


def models_of(service: str):
    if service == "gateway":
        return importlib.import_module("gateway.models").metadata
    return importlib.import_module(f"services.{service}.models").metadata


@pytest.mark.parametrize("service", DATABASE_SERVICES)
def test_the_migrated_schema_matches_the_models(databases, service):
    engine = create_engine(databases[service])
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, models_of(service))
    engine.dispose()
    assert differences == []
