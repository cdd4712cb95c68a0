"""the seats taken in OPP sessions, for the reminder the day before (once per enrolment)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enrolments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_enrolments_worker_session", "enrolments", ["worker_id", "session_id"])
    op.create_index("ix_enrolments_starts_at", "enrolments", ["starts_at"])


def downgrade() -> None:
    op.drop_index("ix_enrolments_starts_at", table_name="enrolments")
    op.drop_index("ix_enrolments_worker_session", table_name="enrolments")
    op.drop_table("enrolments")
