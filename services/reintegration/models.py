"""The reintegration service's tables: programmes, their participants and round results, and the
workers it has heard of from registration."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from pmi_common.tables import AwareDateTime, BigId, add_messaging_tables

from .domain import Participation, Programme, Round, WorkerFacts

metadata = MetaData()
messaging = add_messaging_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class KnownWorker(Base):
    """A worker as registration's events describe them, newest fact by (cycle, sequence)."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    returned_cycle: Mapped[int | None] = mapped_column(Integer, nullable=True)
    returned_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    full_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    regency: Mapped[str | None] = mapped_column(String(100), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())

    def facts(self) -> WorkerFacts:
        return WorkerFacts(cycle=self.cycle, status=self.status, sequence=self.sequence,
                           returned_cycle=self.returned_cycle)

    def keep(self, facts: WorkerFacts) -> None:
        self.cycle, self.status, self.sequence = facts.cycle, facts.status, facts.sequence
        self.returned_cycle = facts.returned_cycle


class ProgramRow(Base):
    __tablename__ = "programs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(16))
    capacity: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    rounds: Mapped[list] = mapped_column(JSON)  # [{"name": ..., "advance": ...}], in order
    enrolled: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())

    __table_args__ = (Index("ix_programs_starts_on_id", "starts_on", "id"),)

    def programme(self) -> Programme:
        return Programme(audience=self.audience, capacity=self.capacity, starts_on=self.starts_on,
                         rounds=tuple(Round(r["name"], r["advance"]) for r in self.rounds),
                         enrolled=self.enrolled)


class ParticipantRow(Base):
    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"))
    worker_id: Mapped[str] = mapped_column(String(36))
    participant_kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    enrolled_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    awarded: Mapped[bool] = mapped_column(Boolean, default=False)
    completed_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime(),
                                                             nullable=True)
    business_started: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    business_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    sector: Mapped[str | None] = mapped_column(String(100), nullable=True)
    regency: Mapped[str | None] = mapped_column(String(100), nullable=True)

    program: Mapped[ProgramRow] = relationship()
    results: Mapped[list[RoundResultRow]] = relationship(
        order_by="RoundResultRow.round", lazy="selectin")

    def participation(self) -> Participation:
        return Participation(status=self.status,
                             advanced={r.round: r.advanced for r in self.results})

    __table_args__ = (
        UniqueConstraint("program_id", "worker_id", name="uq_participants_program_worker"),
        Index("ix_participants_worker", "worker_id"),
    )


class RoundResultRow(Base):
    __tablename__ = "round_results"

    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), primary_key=True)
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[str] = mapped_column(String(36))
    advanced: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())

    __table_args__ = (Index("ix_round_results_program_round", "program_id", "round", "advanced"),)
