"""The reporting service's tables: the read model of the planning office's figures.

``facts`` holds one row per event and measure it counts for (its ``quantity``: 1, or what the
event sums to, a message's SMS segments or cost); ``worker_profiles`` what each worker's
registration said (no name, no NIK, of the birth date the year only); ``programmes`` the
reintegration programmes as created. The monthly figures are read from them
(``repository.figures``). All three can be emptied and filled again from the services' history
(``rebuild``).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, String, Table

from pmi_common.tables import AwareDateTime, add_messaging_tables

metadata = MetaData()
messaging = add_messaging_tables(metadata)

facts = Table(
    "facts",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("measure", String(40), primary_key=True),
    Column("month", String(7), nullable=False),
    Column("detail", String(200), nullable=False),
    Column("worker_id", String(36), nullable=True),
    Column("country", String(2), nullable=True),
    Column("quantity", Integer, nullable=False, server_default="1"),
    Index("ix_facts_month", "month", "measure"),
    Index("ix_facts_worker", "worker_id"),
)

worker_profiles = Table(
    "worker_profiles",
    metadata,
    Column("worker_id", String(36), primary_key=True),
    Column("cycle", Integer, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("birth_year", Integer, nullable=True),  # the age band is of each fact's month
    Column("district", String(8), nullable=True),
    Column("village", String(13), nullable=True),
    Column("country", String(2), nullable=False),
    Column("sector", String(16), nullable=False),
    Column("company", String(200), nullable=False),
)

programmes = Table(
    "programmes",
    metadata,
    Column("program_id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("year", Integer, nullable=False),
)

# each protection case's clock: received (and its month), the limit for a first action, and the
# first action, from ``case_opened`` and ``case_status_changed`` in whatever order they come
case_clocks = Table(
    "case_clocks",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("month", String(7), nullable=True),
    Column("received_at", AwareDateTime(), nullable=True),
    Column("act_by", AwareDateTime(), nullable=True),
    Column("acted_at", AwareDateTime(), nullable=True),
    Index("ix_case_clocks_month", "month"),
)

READ_MODEL = (facts, worker_profiles, programmes, case_clocks)
