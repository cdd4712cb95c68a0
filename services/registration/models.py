"""The registration service's tables: workers (one row per person, the current cycle), the
timeline of everything that happened to them, and their families."""

from __future__ import annotations

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

from pmi_common.tables import AwareDateTime, BigId, add_messaging_tables

metadata = MetaData()
messaging = add_messaging_tables(metadata)

workers = Table(
    "workers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("nik", String(16), unique=True, nullable=False),
    Column("nik_digest", String(64), nullable=False),
    Column("full_name", Text, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("phone", String(20), nullable=False),
    Column("address", JSON, nullable=False),
    Column("regency", String(100), nullable=False),
    Column("destination_country", String(2), nullable=False),
    Column("occupation", String(200), nullable=False),
    Column("placement_agency", String(200), nullable=False),
    Column("bpjs_number", String(20), nullable=True),
    Column("cycle", Integer, nullable=False, default=1),
    Column("status", String(32), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("documents_complete", Boolean, nullable=False, default=False),
    Column("documents_sequence", Integer, nullable=False, default=0),
    Column("documents_valid_until", Date, nullable=True),
    Column("orientation_completed", Boolean, nullable=False, default=False),
    Column("departed_on", Date, nullable=True),
    Column("employer", String(200), nullable=True),
    Column("contract_starts_on", Date, nullable=True),
    Column("contract_ends_on", Date, nullable=True),
    Column("sector", String(16), nullable=True),
    Column("expected_return_on", Date, nullable=True),
    # the contract end whose coming home was announced (``contract_ending``, once per end date)
    Column("contract_ending_announced_for", Date, nullable=True),
    Column("returned_on", Date, nullable=True),
    Column("return_reason", String(32), nullable=True),
    Column("died_on", Date, nullable=True),
    Column("death_country", String(2), nullable=True),
    Column("death_cause", String(32), nullable=True),
    Column("remains_repatriated", Boolean, nullable=True),
    Column("remains_arrive_on", Date, nullable=True),
    Column("heirs", JSON, nullable=False, default=list),  # the heirs' family member ids
    # a former worker's placement before the platform: country, years, employer, source
    Column("past_placement", JSON, nullable=True),
    # abroad outside the procedure, and what the family knows of it
    Column("non_procedural", Boolean, nullable=False, default=False),
    Column("family_account", Text, nullable=True),
    Column("registered_at", AwareDateTime(), nullable=False),
    Column("updated_at", AwareDateTime(), nullable=False),
    # bumped by every update: two writers of one worker cannot both win (optimistic locking)
    Column("version", Integer, nullable=False, default=1),
    Index("ix_workers_status_id", "status", "id"),
    Index("ix_workers_stage_id", "stage", "id"),
    Index("ix_workers_regency_id", "regency", "id"),
    Index("ix_workers_country_id", "destination_country", "id"),
    # the reintegration desk's outreach: workers abroad by the end of their contract
    Index("ix_workers_status_contract_ends", "status", "contract_ends_on", "id"),
)

# a placement company lists its own recruits (``placement_agency``, case-insensitive)
Index("ix_workers_placement_agency_id", func.lower(workers.c.placement_agency), workers.c.id)

timeline = Table(
    "timeline",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("worker_id", String(36), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("occurred_at", AwareDateTime(), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("source", String(32), nullable=False),
    Column("event_id", String(36), nullable=True),
    Column("from_status", String(32), nullable=True),
    Column("to_status", String(32), nullable=True),
    Column("stage", String(16), nullable=True),
    Column("reason", Text, nullable=True),
    Column("actor_role", String(32), nullable=True),
    Column("actor_agency", String(100), nullable=True),
    Column("actor_subject", String(100), nullable=True),
    Column("correlation_id", String(64), nullable=True),
    Column("details", JSON, nullable=False, default=dict),
    Index("ix_timeline_worker", "worker_id", "id"),
)

# the registry's counts, kept by the database's triggers as workers are written (migration 0006):
# one row per (dimension, value, shard); a count is the sum over its shards
worker_counts = Table(
    "worker_counts",
    metadata,
    Column("dimension", String(32), primary_key=True),  # total, stage, status, regency, ...
    Column("value", String(100), primary_key=True),
    Column("shard", Integer, primary_key=True),
    Column("n", BigInteger, nullable=False),
)

# a worker's family members and emergency contacts (the worker's record, not a cycle's)
family_members = Table(
    "family_members",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("worker_id", String(36), nullable=False),
    Column("full_name", Text, nullable=False),
    Column("relation", String(32), nullable=False),
    Column("phone", String(20), nullable=True),
    Column("village", String(100), nullable=True),
    Column("district", String(100), nullable=True),
    Column("heir", Boolean, nullable=False, default=False),
    Column("emergency_contact", Boolean, nullable=False, default=False),
    Column("consent_to_contact", Boolean, nullable=False, default=False),
    Column("added_at", AwareDateTime(), nullable=False),
    Column("updated_at", AwareDateTime(), nullable=False),
    Index("ix_family_members_worker", "worker_id", "added_at"),
)
