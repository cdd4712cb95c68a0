"""The registration service's tables: workers (one row per person, the current cycle) and the
timeline of everything that happened to them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pmi_common.tables import AwareDateTime, BigId, add_messaging_tables

metadata = MetaData()
messaging = add_messaging_tables(metadata)


# the registry's counts, kept by the database's triggers as workers are written (migration 0006):
# one row per (dimension, value, shard); a count is the sum over its shards
worker_counts = Table(
    "worker_counts", metadata,
    Column("dimension", String(32), primary_key=True),  # total, stage, status, regency, ...
    Column("value", String(100), primary_key=True),
    Column("shard", Integer, primary_key=True),
    Column("n", BigInteger, nullable=False),
)


class Base(DeclarativeBase):
    metadata = metadata


class WorkerRow(Base):
    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    nik: Mapped[str] = mapped_column(String(16), unique=True)
    nik_digest: Mapped[str] = mapped_column(String(64))
    full_name: Mapped[str] = mapped_column(Text)
    birth_date: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    phone: Mapped[str] = mapped_column(String(20))
    address: Mapped[dict] = mapped_column(JSON)
    regency: Mapped[str] = mapped_column(String(100))
    destination_country: Mapped[str] = mapped_column(String(2))
    occupation: Mapped[str] = mapped_column(String(200))
    placement_agency: Mapped[str] = mapped_column(String(200))
    bpjs_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(32))
    stage: Mapped[str] = mapped_column(String(16))
    documents_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    documents_sequence: Mapped[int] = mapped_column(Integer, default=0)
    documents_valid_until: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    orientation_completed: Mapped[bool] = mapped_column(Boolean, default=False)
    departed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    employer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    returned_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    return_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    registered_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_workers_status_id", "status", "id"),
        Index("ix_workers_stage_id", "stage", "id"),
        Index("ix_workers_regency_id", "regency", "id"),
        Index("ix_workers_country_id", "destination_country", "id"),
    )


# a placement company lists its own recruits (``placement_agency``, case-insensitive)
Index("ix_workers_placement_agency_id", func.lower(WorkerRow.placement_agency), WorkerRow.id)


class TimelineRow(Base):
    __tablename__ = "timeline"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    worker_id: Mapped[str] = mapped_column(String(36))
    cycle: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    event_type: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    from_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    stage: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor_role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    actor_agency: Mapped[str | None] = mapped_column(String(100), nullable=True)
    actor_subject: Mapped[str | None] = mapped_column(String(100), nullable=True)
    correlation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_timeline_worker", "worker_id", "id"),)
