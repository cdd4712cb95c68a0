"""The letters service's tables: the letters, and the counter each year and type numbers from."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from pmi_common.tables import AwareDateTime, add_messaging_tables

metadata = MetaData()
messaging = add_messaging_tables(metadata)

letters = Table(
    "letters",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("worker_id", String(36), nullable=False),
    Column("letter_type", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("requested_at", AwareDateTime(), nullable=False),
    Column("updated_at", AwareDateTime(), nullable=False),
    Column("requested_by", String(200), nullable=True),
    Column("requested_role", String(32), nullable=True),
    Column("village_code", String(13), nullable=True),
    Column("purpose", Text, nullable=True),
    Column("permission_giver_id", String(36), nullable=True),
    Column("permission_giver_relation", String(32), nullable=True),
    Column("permission_given_on", Date, nullable=True),
    Column("decided_at", AwareDateTime(), nullable=True),
    Column("decided_by", String(200), nullable=True),
    Column("refusal_reason", Text, nullable=True),
    Column("form_scan", LargeBinary, nullable=True),
    Column("form_scan_sha256", String(64), nullable=True),
    Column("form_scan_media_type", String(64), nullable=True),
    Column("form_uploaded_by", String(200), nullable=True),
    Column("form_uploaded_at", AwareDateTime(), nullable=True),
    Column("form_refused_at", AwareDateTime(), nullable=True),
    Column("form_refused_by", String(200), nullable=True),
    Column("form_refusal_reason", Text, nullable=True),
    Column("number", String(64), nullable=True, unique=True),
    Column("year", Integer, nullable=True),
    Column("seq", Integer, nullable=True),
    Column("issued_at", AwareDateTime(), nullable=True),
    Column("issued_on", Date, nullable=True),
    Column("issued_by", String(200), nullable=True),
    Column("verification_code", String(16), nullable=True, unique=True),
    Column("worker_initials", String(64), nullable=True),
    Column("pdf", LargeBinary, nullable=True),
    Column("pdf_sha256", String(64), nullable=True),
    Column("revoked_at", AwareDateTime(), nullable=True),
    Column("revoked_by", String(200), nullable=True),
    Column("revocation_reason", Text, nullable=True),
    # a number once given stays its letter's: one letter per (type, year, sequence)
    UniqueConstraint("letter_type", "year", "seq", name="uq_letters_type_year_seq"),
    Index("ix_letters_worker", "worker_id"),
    Index("ix_letters_village_status", "village_code", "status"),
    Index("ix_letters_status_requested", "status", "requested_at"),
)

# the last sequence given for each (type, year): locked FOR UPDATE by the issuing transaction
letter_counters = Table(
    "letter_counters",
    metadata,
    Column("letter_type", String(32), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last_seq", Integer, nullable=False),
)
