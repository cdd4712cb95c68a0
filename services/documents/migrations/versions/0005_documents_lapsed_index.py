"""the desk's list of passports and work visas lapsed abroad: expired ones by expiry date

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

LAPSED = "status = 'expired' AND document_type IN ('passport', 'work_visa')"


def upgrade() -> None:
    op.create_index(
        "ix_documents_lapsed",
        "documents",
        ["expires_on", "id"],
        unique=False,
        postgresql_where=sa.text(LAPSED),
        sqlite_where=sa.text(LAPSED),
    )


def downgrade() -> None:
    op.drop_index("ix_documents_lapsed", table_name="documents")
