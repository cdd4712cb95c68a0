"""enrolment tickets: the opaque code of a seat, shown as a QR in the worker's app and read at
check-in

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 13:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # seats taken before this revision have no ticket (NULL): checked in by the worker's id
    op.add_column("enrolments", sa.Column("ticket", sa.String(length=16), nullable=True))
    op.create_index("ix_enrolments_session_ticket", "enrolments", ["session_id", "ticket"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_enrolments_session_ticket", table_name="enrolments")
    op.drop_column("enrolments", "ticket")
