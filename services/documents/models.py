"""The documents service's tables: its copy of the workers, their documents, and the scans.

A document row is ``in_checklist`` while it is the worker's latest of its type for the current
cycle, and ``awaiting_decision`` while it sits in the desk's queue. The queue, the expiry check
and the statistics each read through a partial index, so their cost follows what they return,
not how many documents the service holds.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pmi_common.tables import AwareDateTime, add_messaging_tables

metadata = MetaData()
messaging = add_messaging_tables(metadata)


def _partial(where: str) -> dict:
    return {"postgresql_where": text(where), "sqlite_where": text(where)}


class Base(DeclarativeBase):
    metadata = metadata


class WorkerRow(Base):
    """A worker as the registration service announced it."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cycle: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    sequence: Mapped[int] = mapped_column(Integer)  # of the last registration event applied
    documents_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    known_since: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())


class DocumentRow(Base):
    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    worker_id: Mapped[str] = mapped_column(String(36), ForeignKey("workers.id"))
    cycle: Mapped[int] = mapped_column(Integer)
    document_type: Mapped[str] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    in_checklist: Mapped[bool] = mapped_column(Boolean, default=True)
    awaiting_decision: Mapped[bool] = mapped_column(Boolean, default=True)
    submitted_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    # who submitted it (the desk, or the worker's own app): never the one who decides on it
    submitted_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime(),
                                                           nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decision_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    expired_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime(),
                                                           nullable=True)
    file_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    replaces: Mapped[str | None] = mapped_column(String(36), nullable=True)
    replaced_by: Mapped[str | None] = mapped_column(String(36), nullable=True)

    __table_args__ = (
        Index("ix_documents_checklist", "worker_id", "cycle", "document_type", unique=True,
              **_partial("in_checklist")),
        Index("ix_documents_queue", "submitted_at", "id", **_partial("awaiting_decision")),
        Index("ix_documents_queue_type", "document_type", "submitted_at", "id",
              **_partial("awaiting_decision")),
        Index("ix_documents_expiry", "expires_on",
              **_partial("status = 'verified' AND in_checklist")),
        Index("ix_documents_decided", "decided_at", **_partial("decided_at IS NOT NULL")),
        Index("ix_documents_file", "file_sha256", **_partial("file_sha256 IS NOT NULL")),
    )


class DocumentFileRow(Base):
    """A scan, stored once by the SHA-256 of its content."""

    __tablename__ = "document_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
