"""The gateway's own tables: the answers it gave to writes sent with an ``Idempotency-Key``, and
what operators did to dead letters from the console."""

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

operator_actions = Table(
    "operator_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", AwareDateTime(), nullable=False),
    Column("actor_role", String(32), nullable=False),
    Column("actor_subject", String(200), nullable=False),
    Column("action", String(32), nullable=False),  # replay or discard
    Column("service", String(64), nullable=False),
    Column("selection", JSON, nullable=False),  # {event_id} or {all} or {match}
    Column("count", Integer, nullable=False),
    Column("event_ids", JSON, nullable=False),
    Column("correlation_id", String(128), nullable=True),
    Index("ix_operator_actions_at", "at"),
)
