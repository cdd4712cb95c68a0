"""a worker abroad due home: the end of the contract registration announced (contract_ending),
and in which cycle

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contract_ends_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('contract_cycle', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_column('contract_cycle')
        batch_op.drop_column('contract_ends_on')
