"""how a resolved case ended: its outcome and the outcome's details, and the outcome on the step
that resolved it

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 08:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('outcome_details', sa.JSON(), nullable=True))
    with op.batch_alter_table('case_steps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case_steps', schema=None) as batch_op:
        batch_op.drop_column('outcome')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('outcome_details')
        batch_op.drop_column('outcome')
