"""Alembic, one history per service: ``services/<service>/migrations``.

``upgrade(service, url)`` applies a service's migrations (under a PostgreSQL advisory lock, so
instances starting together do not race); each service's ``env.py`` calls ``run_env(metadata)``.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, text

from .store import make_engine

ROOT = Path(__file__).resolve().parent.parent


def migrations_dir(service: str) -> Path:
    base = ROOT / "gateway" if service == "gateway" else ROOT / "services" / service
    return base / "migrations"


def alembic_config(service: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir(service)))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(service: str, url: str) -> None:
    engine = make_engine(url)
    config = alembic_config(service, url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                lock = zlib.crc32(f"migrate:{service}".encode())
                connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": lock})
                connection.commit()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
    finally:
        engine.dispose()


def run_env(metadata: MetaData) -> None:
    """The body of every service's ``env.py``."""
    from alembic import context

    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(context, connection, metadata)
        return
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None  # alembic_config sets it
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _run(context, connection, metadata)
    finally:
        engine.dispose()


def _run(context, connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
