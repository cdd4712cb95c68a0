"""The orientation service's tables: sessions and their seats, the workers it knows (its own copy
of eligibility), enrolments, completions with their certificates, and identity incidents."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pmi_common.tables import AwareDateTime, BigId, add_messaging_tables

metadata = MetaData()
messaging = add_messaging_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class SessionRow(Base):
    """An OPP session. ``enrolled`` counts the seats taken; the database itself refuses more
    than ``capacity``."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    starts_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    location: Mapped[str] = mapped_column(Text)
    capacity: Mapped[int] = mapped_column(Integer)
    topics: Mapped[list] = mapped_column(JSON, default=list)
    enrolled: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    cancelled_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())

    __table_args__ = (
        CheckConstraint("capacity BETWEEN 1 AND 500", name="ck_sessions_capacity"),
        CheckConstraint("enrolled >= 0 AND enrolled <= capacity", name="ck_sessions_seats"),
        Index("ix_sessions_status_starts", "status", "starts_at", "id"),
    )


class TraineeRow(Base):
    """A worker as orientation knows them, from registration and documents events."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    registered: Mapped[bool] = mapped_column(Boolean, default=False)
    nik_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    full_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status_sequence: Mapped[int] = mapped_column(Integer, default=0)
    documents_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    documents_sequence: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())


class EnrolmentRow(Base):
    """A worker's seat in a session: enrolled, then released or attended. One row per pair."""

    __tablename__ = "enrolments"

    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    worker_id: Mapped[str] = mapped_column(ForeignKey("workers.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    enrolled_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    released_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime(),
                                                            nullable=True)
    release_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    attended_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime(),
                                                            nullable=True)

    __table_args__ = (Index("ix_enrolments_worker_status", "worker_id", "status"),)


class CompletionRow(Base):
    """A completed orientation and its certificate: one per worker and migration cycle."""

    __tablename__ = "completions"

    certificate_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    worker_id: Mapped[str] = mapped_column(ForeignKey("workers.id"))
    cycle: Mapped[int] = mapped_column(Integer)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"))
    holder_name: Mapped[str] = mapped_column(Text)
    completed_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())

    __table_args__ = (UniqueConstraint("worker_id", "cycle", name="uq_completions_worker_cycle"),)


class IncidentRow(Base):
    """An identity mismatch at attendance. The NIK presented is kept masked, with a prefix of
    its keyed digest to match it against known workers; never in clear."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    session_id: Mapped[str] = mapped_column(String(36))
    worker_id: Mapped[str] = mapped_column(String(36))
    occurred_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    presented_nik_masked: Mapped[str] = mapped_column(String(20))
    presented_digest_prefix: Mapped[str] = mapped_column(String(12))
    actor_role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    actor_subject: Mapped[str | None] = mapped_column(String(100), nullable=True)
    correlation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
