"""The protection service's tables: cases, the steps of each, their attachments and referrals."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from pmi_common.tables import AwareDateTime, BigId, add_messaging_tables

metadata = MetaData()
messaging = add_messaging_tables(metadata)

cases = Table(
    "cases",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("code_digest", String(64), nullable=False),
    Column("worker_id", String(36), nullable=True),
    Column("person_name", String(300), nullable=True),
    Column("village_code", String(13), nullable=True),
    Column("destination_country", String(2), nullable=True),
    Column("employer", String(200), nullable=True),
    Column("reporter_kind", String(16), nullable=False),
    Column("family_member_id", String(36), nullable=True),
    Column("reporter_name", String(300), nullable=True),
    Column("channel", String(16), nullable=False),
    Column("aspect", String(16), nullable=False),
    Column("case_type", String(32), nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("summary", Text, nullable=False),
    Column("notes", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("assigned_to", String(200), nullable=True),
    Column("assigned_at", AwareDateTime(), nullable=True),
    Column("received_at", AwareDateTime(), nullable=False),
    Column("acknowledge_by", AwareDateTime(), nullable=False),
    Column("act_by", AwareDateTime(), nullable=False),
    Column("acknowledged_at", AwareDateTime(), nullable=True),
    Column("acted_at", AwareDateTime(), nullable=True),
    Column("resolved_at", AwareDateTime(), nullable=True),
    Column("closed_at", AwareDateTime(), nullable=True),
    Column("updated_at", AwareDateTime(), nullable=False),
    Column("outcome", String(32), nullable=True),
    Column("outcome_details", JSON, nullable=True),
    Index("ix_cases_status_received", "status", "received_at"),
    Index("ix_cases_worker", "worker_id"),
)

case_steps = Table(
    "case_steps",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False),
    Column("action", String(16), nullable=False),
    Column("at", AwareDateTime(), nullable=False),
    Column("by", String(200), nullable=True),
    Column("role", String(32), nullable=True),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=True),
    Column("assigned_to", String(200), nullable=True),
    Column("note", Text, nullable=True),
    Column("public", Boolean, nullable=False, default=False),
    Column("outcome", String(32), nullable=True),
    Column("referral", JSON, nullable=True),  # whom to, on the step that referred the case
    Column("agency", String(40), nullable=True),  # the onboarded agency referred to, or answering
    Column("answer", String(16), nullable=True),  # what the body answered
    Column("referral_id", String(36), nullable=True),  # the referral's thread the step is on
    Column("answered_by", String(200), nullable=True),  # who at the body answered
    Column("answered_at", AwareDateTime(), nullable=True),  # when the body answered
    Index("ix_case_steps_case", "case_id", "id"),
)

case_referrals = Table(
    "case_referrals",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("referred_at", AwareDateTime(), nullable=False),
    Column("referred_by", String(200), nullable=True),
    Column("name", String(200), nullable=True),
    Column("country", String(2), nullable=True),
    Column("agency", String(40), nullable=True),
    Column("summary", Text, nullable=True),  # what the letter tells the body
    Column("email", String(320), nullable=True),  # where the letter is mailed
    Column("delivery", String(16), nullable=False),  # event, queued, mailed, to_print, withheld
    Column("letter", LargeBinary, nullable=True),  # the letter's PDF
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_try_at", AwareDateTime(), nullable=True),  # a queued letter's next try
    Column("mailed_at", AwareDateTime(), nullable=True),
    Column("last_error", String(200), nullable=True),
    Index("ix_case_referrals_case", "case_id", "referred_at"),
    Index("ix_case_referrals_due", "delivery", "next_try_at"),
)

case_attachments = Table(
    "case_attachments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("media_type", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("filename", String(255), nullable=True),
    Column("description", Text, nullable=True),
    Column("added_at", AwareDateTime(), nullable=False),
    Column("added_by", String(200), nullable=True),
    Index("ix_case_attachments_case", "case_id", "added_at"),
)
