"""The documents service's tables: its copy of the workers, their documents, and the scans.

A document row is ``in_checklist`` while it is the worker's latest of its type for the current
cycle, and ``awaiting_decision`` while it sits in the desk's queue. The queue, the expiry check
and the statistics each read through a partial index, so their cost follows what they return,
not how many documents the service holds.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from pmi_common.tables import AwareDateTime, add_messaging_tables

metadata = MetaData()
messaging = add_messaging_tables(metadata)


def _partial(where: str) -> dict:
    return {"postgresql_where": text(where), "sqlite_where": text(where)}


# a worker as the registration service announced it
workers = Table(
    "workers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("cycle", Integer, nullable=False),
    Column("status", String(32), nullable=False),
    Column("sequence", Integer, nullable=False),  # of the last registration event applied
    Column("documents_complete", Boolean, nullable=False, default=False),
    Column("known_since", AwareDateTime(), nullable=False),
    Column("updated_at", AwareDateTime(), nullable=False),
)

documents = Table(
    "documents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("worker_id", String(36), ForeignKey("workers.id"), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("document_type", String(40), nullable=False),
    Column("number", String(64), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("expires_on", Date, nullable=True),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("note", Text, nullable=True),
    Column("in_checklist", Boolean, nullable=False, default=True),
    Column("awaiting_decision", Boolean, nullable=False, default=True),
    Column("submitted_at", AwareDateTime(), nullable=False),
    # who submitted it (the desk, or the worker's own app): never the one who decides on it
    Column("submitted_by", String(100), nullable=True),
    Column("decided_at", AwareDateTime(), nullable=True),
    Column("decided_by", String(100), nullable=True),
    Column("decision_seconds", Float, nullable=True),
    Column("expired_at", AwareDateTime(), nullable=True),
    # the last lapse warning announced, in days before the expiry (60, then 30)
    Column("expiry_warned_days", Integer, nullable=True),
    Column("file_sha256", String(64), nullable=True),
    Column("replaces", String(36), nullable=True),
    Column("replaced_by", String(36), nullable=True),
    Index(
        "ix_documents_checklist",
        "worker_id",
        "cycle",
        "document_type",
        unique=True,
        **_partial("in_checklist"),
    ),
    Index("ix_documents_queue", "submitted_at", "id", **_partial("awaiting_decision")),
    Index(
        "ix_documents_queue_type",
        "document_type",
        "submitted_at",
        "id",
        **_partial("awaiting_decision"),
    ),
    Index("ix_documents_expiry", "expires_on", **_partial("status = 'verified' AND in_checklist")),
    Index("ix_documents_decided", "decided_at", **_partial("decided_at IS NOT NULL")),
    # the desk's list of passports and work visas lapsed abroad, newest lapse first
    Index(
        "ix_documents_lapsed",
        "expires_on",
        "id",
        **_partial("status = 'expired' AND document_type IN ('passport', 'work_visa')"),
    ),
    Index("ix_documents_file", "file_sha256", **_partial("file_sha256 IS NOT NULL")),
)

# a scan, stored once by the SHA-256 of its content
document_files = Table(
    "document_files",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("media_type", String(32), nullable=False),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("stored_at", AwareDateTime(), nullable=False),
    # about the workers whose documents name its digest (the export follows this)
    info={"about_via": ("sha256", "documents", "file_sha256")},
)
