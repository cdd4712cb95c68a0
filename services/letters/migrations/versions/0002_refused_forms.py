"""refused forms: a second officer refuses a scanned family permission form, saying why

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 10:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("letters", sa.Column("form_refused_at", sa.DateTime(timezone=True)))
    op.add_column("letters", sa.Column("form_refused_by", sa.String(length=200)))
    op.add_column("letters", sa.Column("form_refusal_reason", sa.Text()))


def downgrade() -> None:
    for column in ("form_refusal_reason", "form_refused_by", "form_refused_at"):
        op.drop_column("letters", column)
