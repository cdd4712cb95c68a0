"""idempotency answers kept sealed: the body's SHA-256 and the answer encrypted, never in clear

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 07:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # answers kept in clear cannot be sealed here (the migration has no key): they go, and a
    # retry within their day runs again; a keyed command is then answered by its service's own
    # record of the first answer (pmi_common.store.Store.command)
    op.execute("DELETE FROM idempotency_keys")
    with op.batch_alter_table("idempotency_keys") as table:
        table.drop_column("body")
        table.drop_column("headers")
        table.add_column(sa.Column("body_sha256", sa.String(length=64), nullable=True))
        table.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM idempotency_keys")
    with op.batch_alter_table("idempotency_keys") as table:
        table.drop_column("sealed")
        table.drop_column("body_sha256")
        table.add_column(sa.Column("body", sa.Text(), nullable=True))
        table.add_column(sa.Column("headers", sa.JSON(), nullable=True))
