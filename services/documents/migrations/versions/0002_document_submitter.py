"""document submitter: who submitted each document (separation of duties at the desk)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 21:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # documents submitted before this revision have no recorded submitter (NULL)
    op.add_column("documents", sa.Column("submitted_by", sa.String(length=100), nullable=True))


def downgrade() -> None:
    op.drop_column("documents", "submitted_by")
