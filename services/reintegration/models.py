"""The reintegration service's tables: programmes, their participants and round results, and the
workers it has heard of from registration."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

from pmi_common.tables import AwareDateTime, BigId, add_messaging_tables

from .domain import Round

metadata = MetaData()
messaging = add_messaging_tables(metadata)


class Rounds(TypeDecorator):
    """A programme's rounds, in order: JSON ``[{"name": ..., "advance": ...}]`` in the table,
    ``Round``s in Python."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return [{"name": r.name, "advance": r.advance} for r in value]

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return tuple(Round(r["name"], r["advance"]) for r in value)


# A worker as registration's events describe them, newest word by (cycle, sequence).
workers = Table(
    "workers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("cycle", Integer, nullable=False, default=0),
    Column("status", String(32), nullable=True),
    Column("sequence", Integer, nullable=False, default=0),
    Column("returned_cycle", Integer, nullable=True),
    Column("returned_on", Date, nullable=True),
    Column("full_name", Text, nullable=True),
    Column("regency", String(100), nullable=True),
    # the end of the contract abroad announced (contract_ending), and in which cycle
    Column("contract_ends_on", Date, nullable=True),
    Column("contract_cycle", Integer, nullable=True),
    Column("updated_at", AwareDateTime(), nullable=False),
)

programs = Table(
    "programs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("audience", String(16), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("rounds", Rounds(), nullable=False),
    Column("enrolled", Integer, nullable=False, default=0),
    Column("created_at", AwareDateTime(), nullable=False),
    Index("ix_programs_starts_on_id", "starts_on", "id"),
)

participants = Table(
    "participants",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("program_id", String(36), ForeignKey("programs.id"), nullable=False),
    Column("worker_id", String(36), nullable=False),
    Column("participant_kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("enrolled_at", AwareDateTime(), nullable=False),
    Column("awarded", Boolean, nullable=False, default=False),
    Column("completed_at", AwareDateTime(), nullable=True),
    Column("business_started", Boolean, nullable=True),
    Column("business_name", String(200), nullable=True),
    Column("sector", String(100), nullable=True),
    Column("regency", String(100), nullable=True),
    UniqueConstraint("program_id", "worker_id", name="uq_participants_program_worker"),
    Index("ix_participants_worker", "worker_id"),
)

round_results = Table(
    "round_results",
    metadata,
    Column("participant_id", BigId, ForeignKey("participants.id"), primary_key=True),
    Column("round", Integer, primary_key=True),
    Column("program_id", String(36), nullable=False),
    Column("advanced", Boolean, nullable=False),
    Column("score", Float, nullable=True),
    Column("note", Text, nullable=True),
    Column("recorded_at", AwareDateTime(), nullable=False),
    Index("ix_round_results_program_round", "program_id", "round", "advanced"),
)

# what the desk found 6 and 12 months after a completion with a business started
follow_ups = Table(
    "follow_ups",
    metadata,
    Column("participant_id", BigId, ForeignKey("participants.id"), primary_key=True),
    Column("months", Integer, primary_key=True),
    Column("business_running", Boolean, nullable=False),
    Column("income_band", String(16), nullable=False),
    Column("migrated_again", Boolean, nullable=False),
    Column("recorded_at", AwareDateTime(), nullable=False),
)
