"""the provider's delivery report of each sent message, found by the provider's id

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 12:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_status", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("delivery_reported_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("delivery_error", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_messages_provider_id", ["provider_message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_provider_id")
        batch_op.drop_column("delivery_error")
        batch_op.drop_column("delivery_reported_at")
        batch_op.drop_column("delivery_status")
