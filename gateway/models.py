"""The gateway's own table: the answers it gave to writes sent with an ``Idempotency-Key``."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text

from pmi_common.tables import AwareDateTime

metadata = MetaData()

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal", String(200), primary_key=True),  # role:sub, so callers never collide
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),  # method, path and body
    Column("method", String(8), nullable=False),
    Column("path", String(2000), nullable=False),
    Column("status", Integer, nullable=True),  # null while the first request is in progress
    Column("body", Text, nullable=True),
    Column("headers", JSON, nullable=True),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("expires_at", AwareDateTime(), nullable=False),
    Index("ix_idempotency_keys_expires_at", "expires_at"),
)
