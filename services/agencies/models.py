"""The agencies' tables: data-sharing agreements and their history, what was disclosed to whom,
who recruited each worker, what waits for each agency's queue and webhooks (and every attempt),
agencies' settings and the notices sent to them, and the service's inbox: the agencies
service's own database (``services/agencies/migrations``).
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text

from pmi_common.tables import AwareDateTime, BigId, add_messaging_tables

metadata = MetaData()
messaging = add_messaging_tables(metadata)  # the service's inbox

agreements = Table(
    "agreements",
    metadata,
    Column("agency", String(40), primary_key=True),
    Column("fields", JSON, nullable=False),  # event type -> granted published fields
    Column("purpose", Text, nullable=False),
    Column("legal_basis", String(32), nullable=False),
    Column("approved_by", String(200), nullable=False),
    Column("valid_from", AwareDateTime(), nullable=False),
    Column("valid_until", AwareDateTime(), nullable=True),
    Column("placement_agency", String(200), nullable=True),
    Column("version", Integer, nullable=False),
    Column("changed_at", AwareDateTime(), nullable=False),
    Column("changed_by", String(200), nullable=False),
)

agreement_changes = Table(
    "agreement_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("agency", String(40), nullable=False),
    Column("version", Integer, nullable=False),
    Column("changed_at", AwareDateTime(), nullable=False),
    Column("changed_by", String(200), nullable=False),
    Column("action", String(16), nullable=False),  # created, changed, ended
    Column("changes", JSON, nullable=False),  # field -> [before, after]
    Index("ix_agreement_changes_agency", "agency", "id"),
)

# Append-only: rows are only ever inserted, never updated; read by worker, newest first.
disclosures = Table(
    "disclosures",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("worker_id", String(36), nullable=False),
    Column("agency", String(40), nullable=False),
    Column("channel", String(8), nullable=False),  # amqp, http
    Column("what", String(64), nullable=False),  # the event type, or the route read
    Column("reference", String(200), nullable=False),  # the event id, or the path
    Column("fields", JSON, nullable=False),
    Column("disclosed_at", AwareDateTime(), nullable=False),
    Index("ix_disclosures_worker", "worker_id", "id"),
)

# Who recruited each worker (from worker_registered): a placement company gets its own only.
recruits = Table(
    "recruits",
    metadata,
    Column("worker_id", String(36), primary_key=True),
    Column("placement_agency", String(200), nullable=False),
)

# What waits to be put into each agency's queue: published events, as disclosed.
agency_deliveries = Table(
    "agency_deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("agency", String(40), nullable=False),
    Column("worker_id", String(36), nullable=True),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("envelope", JSON, nullable=False),
    Column("created_at", AwareDateTime(), nullable=False),
    Index("ix_agency_deliveries_agency", "agency", "id"),
)

# Webhooks: agencies' HTTP endpoints, what waits for each, and every attempt --------------------

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("agency", String(40), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("description", String(200), nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("secrets", JSON, nullable=False),  # [{sealed, expires_at}], the newest first
    Column("status", String(16), nullable=False),  # enabled, disabled
    Column("disabled_reason", Text, nullable=True),
    Column("disabled_at", AwareDateTime(), nullable=True),
    Column("failing_since", AwareDateTime(), nullable=True),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("changed_by", String(200), nullable=False),
    Index("ix_webhook_endpoints_agency", "agency"),
)

# One row per event per endpoint: pending until delivered (any 2xx) or given up.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("endpoint_id", String(36), nullable=False),
    Column("agency", String(40), nullable=False),
    Column("worker_id", String(36), nullable=True),
    Column("order_key", String(36), nullable=False),  # the worker (or the event): in order per key
    Column("occurred_at", AwareDateTime(), nullable=False),  # order within a key: occurred_at,
    Column("sequence", Integer, nullable=False),  # then the source's sequence, then id
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("envelope", JSON, nullable=False),  # the published event, as disclosed
    Column("state", String(16), nullable=False),  # pending, delivered, expired, withheld
    Column("attempts", Integer, nullable=False),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("next_attempt_at", AwareDateTime(), nullable=True),
    Column("delivered_at", AwareDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("replay_of", BigId, nullable=True),
    Index("ix_webhook_deliveries_head", "endpoint_id", "state", "order_key", "id"),
    Index("ix_webhook_deliveries_log", "endpoint_id", "created_at"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("delivery_id", BigId, nullable=False),
    Column("endpoint_id", String(36), nullable=False),
    Column("attempted_at", AwareDateTime(), nullable=False),
    Column("status", Integer, nullable=True),  # the HTTP status, none when there was no answer
    Column("latency_ms", Integer, nullable=False),
    Column("error", Text, nullable=True),
    Column("response", Text, nullable=True),  # the start of the answer's body
    Index("ix_webhook_attempts_endpoint", "endpoint_id", "id"),
    Index("ix_webhook_attempts_delivery", "delivery_id", "id"),
    # about the worker its delivery is about (the export follows this)
    info={"about_via": ("delivery_id", "webhook_deliveries", "id")},
)

# Agencies' own settings, besides their agreement: how their queue carries each event (the
# platform's form or a CloudEvent), and whom to tell when something of theirs needs them.
agency_settings = Table(
    "agency_settings",
    metadata,
    Column("agency", String(40), primary_key=True),
    Column("queue_format", String(32), nullable=False),  # platform, cloudevents-binary|structured
    Column("contact_email", String(320), nullable=True),
    Column("changed_at", AwareDateTime(), nullable=False),
    Column("changed_by", String(200), nullable=False),
)

# What the platform had to tell an agency's contact and the operators (an endpoint it disabled),
# kept whether or not it could be mailed; mailed (retried) when SMTP is configured.
notices = Table(
    "notices",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(40), nullable=False),  # webhook_endpoint_disabled
    Column("agency", String(40), nullable=False),
    Column("endpoint_id", String(36), nullable=True),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("state", String(16), nullable=False),  # pending, mailed, unaddressed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", AwareDateTime(), nullable=True),
    Column("mailed_at", AwareDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Index("ix_notices_due", "state", "next_attempt_at"),
    Index("ix_notices_agency", "agency", "id"),
)
