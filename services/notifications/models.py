"""The notifications service's tables: the people it writes to with their choices, every message
(one per event, person and channel), and what it heard of sessions and programmes."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from pmi_common.tables import AwareDateTime, add_messaging_tables

metadata = MetaData()
messaging = add_messaging_tables(metadata)

people = Table(
    "people",
    metadata,
    Column("worker_id", String(36), primary_key=True),
    Column("phone", String(20), nullable=True),
    Column("email", String(254), nullable=True),
    Column("first_name", String(40), nullable=False, default=""),
    Column("language", String(2), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("consent", Boolean, nullable=False),
    Column("opted_out_at", AwareDateTime(), nullable=True),
    Column("updated_at", AwareDateTime(), nullable=True),
    Index("ix_people_phone", "phone"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("event_id", String(36), nullable=False),
    Column("worker_id", String(36), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("language", String(2), nullable=False),
    Column("body", Text, nullable=False),
    Column("address", String(254), nullable=False),
    Column("segments", Integer, nullable=False),
    Column("encoding", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("due_at", AwareDateTime(), nullable=False),
    Column("next_attempt_at", AwareDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("provider", String(32), nullable=True),
    Column("provider_message_id", String(128), nullable=True),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("sent_at", AwareDateTime(), nullable=True),
    # the provider's delivery report
    Column("delivery_status", String(16), nullable=True),
    Column("delivery_reported_at", AwareDateTime(), nullable=True),
    Column("delivery_error", String(200), nullable=True),
    # delivered once: one message per (event, person, channel), whatever is redelivered
    UniqueConstraint("event_id", "worker_id", "channel", name="uq_messages_event_worker_channel"),
    Index("ix_messages_due", "status", "channel", "next_attempt_at"),
    Index("ix_messages_worker", "worker_id", "created_at"),
    Index("ix_messages_provider_id", "provider_message_id"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("starts_at", AwareDateTime(), nullable=False),
    Column("location", String(200), nullable=False),
)

programmes = Table(
    "programmes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("audience", String(16), nullable=False),
    Column("starts_on", Date, nullable=False),
)

# the seats the service heard taken (orientation_enrolled), for the reminder the day before: one
# row per enrolment (the enrolling event), until the seat is released or the session attended
enrolments = Table(
    "enrolments",
    metadata,
    Column("id", String(36), primary_key=True),  # the orientation_enrolled event's id
    Column("worker_id", String(36), nullable=False),
    Column("session_id", String(36), nullable=False),
    Column("starts_at", AwareDateTime(), nullable=False),
    Column("ended_at", AwareDateTime(), nullable=True),  # released or attended
    Column("reminded_at", AwareDateTime(), nullable=True),
    Index("ix_enrolments_worker_session", "worker_id", "session_id"),
    Index("ix_enrolments_starts_at", "starts_at"),
)
