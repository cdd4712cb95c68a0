"""The gateway's own tables: the answers it gave to writes sent with an ``Idempotency-Key``, what
operators did to dead letters from the console, revoked tokens and the access log. The agencies'
tables live in the agencies service's database (``services.agencies.models``)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, LargeBinary, MetaData, String, Table, Text

from pmi_common.tables import AwareDateTime, BigId

metadata = MetaData()

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal", String(200), primary_key=True),  # role:sub, so callers never collide
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),  # method, path and body
    Column("method", String(8), nullable=False),
    Column("path", String(2000), nullable=False),
    Column("status", Integer, nullable=True),  # null while the first request is in progress
    # the first answer: its body's SHA-256, and body and headers sealed (AES-GCM with
    # IDEMPOTENCY_ANSWER_KEY, bound to the caller, key and request): never the answer in clear
    Column("body_sha256", String(64), nullable=True),
    Column("sealed", LargeBinary, nullable=True),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("expires_at", AwareDateTime(), nullable=False),
    Index("ix_idempotency_keys_expires_at", "expires_at"),
)


operator_actions = Table(
    "operator_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", AwareDateTime(), nullable=False),
    Column("actor_role", String(32), nullable=False),
    Column("actor_subject", String(200), nullable=False),
    Column("action", String(32), nullable=False),  # replay or discard
    Column("service", String(64), nullable=False),
    Column("selection", JSON, nullable=False),  # {event_id} or {all} or {match}
    Column("count", Integer, nullable=False),
    Column("event_ids", JSON, nullable=False),
    Column("correlation_id", String(128), nullable=True),
    Index("ix_operator_actions_at", "at"),
)

# Revocation: a subject's tokens issued before ``not_before`` are refused, and so is any token
# whose id (``jti``) is listed here (kept until the token would have expired anyway).
revoked_subjects = Table(
    "revoked_subjects",
    metadata,
    Column("subject", String(200), primary_key=True),
    Column("not_before", AwareDateTime(), nullable=False),
    Column("revoked_by", String(200), nullable=False),
    Column("reason", Text, nullable=True),
)

revoked_tokens = Table(
    "revoked_tokens",
    metadata,
    Column("jti", String(200), primary_key=True),
    Column("expires_at", AwareDateTime(), nullable=True),  # after it, the row may go
    Column("revoked_at", AwareDateTime(), nullable=False),
    Column("revoked_by", String(200), nullable=False),
)

# Append-only (a trigger refuses UPDATE and DELETE): who read which worker's record, staff
# included; read by the data protection officer (``dpo``).
access_log = Table(
    "access_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", AwareDateTime(), nullable=False),
    Column("worker_id", String(36), nullable=False),
    Column("actor_role", String(32), nullable=False),
    Column("actor_subject", String(200), nullable=False),
    Column("actor_agency", String(40), nullable=True),
    Column("what", String(64), nullable=False),  # the route read
    Column("correlation_id", String(128), nullable=True),
    Index("ix_access_log_worker", "worker_id", "id"),
)

# The worker's app (``gateway.app``): the sign-in codes sent (a keyed digest of each, never the
# code), the devices signed in, and each device's refresh tokens (digests), rotated at each use.
sign_in_codes = Table(
    "sign_in_codes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("worker_id", String(36), nullable=True),  # none: no worker has that NIK and phone
    Column("code_digest", String(64), nullable=False),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("expires_at", AwareDateTime(), nullable=False),
    Column("tries", Integer, nullable=False, default=0),
    Column("used_at", AwareDateTime(), nullable=True),
    Index("ix_sign_in_codes_expires_at", "expires_at"),
)

app_devices = Table(
    "app_devices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("worker_id", String(36), nullable=False),
    Column("name", String(100), nullable=False),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("last_used_at", AwareDateTime(), nullable=False),
    Column("ended_at", AwareDateTime(), nullable=True),
    Column("ended_by", String(200), nullable=True),
    Column("end_reason", String(32), nullable=True),
    Index("ix_app_devices_worker", "worker_id"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("device_id", String(36), nullable=False),
    Column("issued_at", AwareDateTime(), nullable=False),
    Column("expires_at", AwareDateTime(), nullable=False),
    Column("rotated_at", AwareDateTime(), nullable=True),
    Column("access_jti", String(64), nullable=False),
    Column("access_expires_at", AwareDateTime(), nullable=False),
    Index("ix_refresh_tokens_device", "device_id"),
)
