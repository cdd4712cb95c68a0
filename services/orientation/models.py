"""The orientation service's tables: sittings (``sessions``) and their seats, the workers it knows
(its own copy of eligibility), enrolments, completions with their certificates, and identity
incidents. The domain objects are stored in them as they are (``repository.py`` maps them)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from pmi_common.tables import AwareDateTime, BigId, add_messaging_tables

metadata = MetaData()
messaging = add_messaging_tables(metadata)

# ``enrolled`` counts the seats taken; the database itself refuses more than ``capacity``.
sittings = Table(
    "sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("starts_at", AwareDateTime(), nullable=False),
    Column("location", Text, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("topics", JSON, nullable=False),
    Column("enrolled", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("cancelled_reason", Text, nullable=True),
    Column("created_at", AwareDateTime(), nullable=False),
    CheckConstraint("capacity BETWEEN 1 AND 500", name="ck_sessions_capacity"),
    CheckConstraint("enrolled >= 0 AND enrolled <= capacity", name="ck_sessions_seats"),
    Index("ix_sessions_status_starts", "status", "starts_at", "id"),
)

# A worker as orientation knows them, from registration and documents events.
trainees = Table(
    "workers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("registered", Boolean, nullable=False),
    Column("nik_digest", String(64), nullable=True),
    Column("full_name", Text, nullable=True),
    Column("cycle", Integer, nullable=False),
    Column("status", String(32), nullable=True),
    Column("status_sequence", Integer, nullable=False),
    Column("documents_complete", Boolean, nullable=False),
    Column("documents_sequence", Integer, nullable=False),
    Column("updated_at", AwareDateTime(), nullable=False),
)

enrolments = Table(
    "enrolments",
    metadata,
    Column("session_id", ForeignKey("sessions.id"), primary_key=True),
    Column("worker_id", ForeignKey("workers.id"), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("enrolled_at", AwareDateTime(), nullable=False),
    Column("released_at", AwareDateTime(), nullable=True),
    Column("release_reason", Text, nullable=True),
    Column("attended_at", AwareDateTime(), nullable=True),
    # the seat's opaque ticket code (the QR in the worker's app), read at check-in
    Column("ticket", String(16), nullable=True),
    Index("ix_enrolments_worker_status", "worker_id", "status"),
    Index("ix_enrolments_session_ticket", "session_id", "ticket", unique=True),
)

completions = Table(
    "completions",
    metadata,
    Column("certificate_number", String(32), primary_key=True),
    Column("worker_id", ForeignKey("workers.id"), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("session_id", ForeignKey("sessions.id"), nullable=False),
    Column("holder_name", Text, nullable=False),
    Column("completed_at", AwareDateTime(), nullable=False),
    UniqueConstraint("worker_id", "cycle", name="uq_completions_worker_cycle"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("session_id", String(36), nullable=False),
    Column("worker_id", String(36), nullable=False),
    Column("occurred_at", AwareDateTime(), nullable=False),
    Column("presented_nik_masked", String(20), nullable=False),
    Column("presented_digest_prefix", String(12), nullable=False),
    Column("actor_role", String(32), nullable=True),
    Column("actor_subject", String(100), nullable=True),
    Column("correlation_id", String(64), nullable=True),
)
