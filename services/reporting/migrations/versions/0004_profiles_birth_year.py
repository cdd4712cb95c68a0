"""a worker's profile keeps the birth year (worker_registered version 2): the age band is each
fact's month's, not one band kept at registration

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 15:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the band was never filled (version 1 carries no birth): nothing is lost
    with op.batch_alter_table("worker_profiles", schema=None) as batch_op:
        batch_op.drop_column("age_band")
        batch_op.add_column(sa.Column("birth_year", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("worker_profiles", schema=None) as batch_op:
        batch_op.drop_column("birth_year")
        batch_op.add_column(sa.Column("age_band", sa.String(length=8), nullable=True))
