"""workers.documents_valid_until: the earliest expiry of the complete set of documents

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 21:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('documents_valid_until', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_column('documents_valid_until')
