"""operator actions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 21:15:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('operator_actions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_role', sa.String(length=32), nullable=False),
    sa.Column('actor_subject', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('service', sa.String(length=64), nullable=False),
    sa.Column('selection', sa.JSON(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('event_ids', sa.JSON(), nullable=False),
    sa.Column('correlation_id', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('operator_actions', schema=None) as batch_op:
        batch_op.create_index('ix_operator_actions_at', ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('operator_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_operator_actions_at')

    op.drop_table('operator_actions')
