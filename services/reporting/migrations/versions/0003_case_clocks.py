"""each protection case's clock: received, the limit for a first action, the first action

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 14:00:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_clocks",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("act_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("case_id"),
    )
    with op.batch_alter_table("case_clocks", schema=None) as batch_op:
        batch_op.create_index("ix_case_clocks_month", ["month"], unique=False)


def downgrade() -> None:
    op.drop_table("case_clocks")
