"""facts, worker profiles and programmes

Revision ID: 0001
Revises:
Create Date: 2026-12-06 08:40:00.000000
"""
import sqlalchemy as sa
from alembic import op

from pmi_common import schema_steps


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('facts',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('measure', sa.String(length=40), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.Column('worker_id', sa.String(length=36), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.PrimaryKeyConstraint('event_id', 'measure')
    )
    with op.batch_alter_table('facts', schema=None) as batch_op:
        batch_op.create_index('ix_facts_month', ['month', 'measure'], unique=False)
        batch_op.create_index('ix_facts_worker', ['worker_id'], unique=False)

    op.create_table('worker_profiles',
    sa.Column('worker_id', sa.String(length=36), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('age_band', sa.String(length=8), nullable=True),
    sa.Column('district', sa.String(length=8), nullable=True),
    sa.Column('village', sa.String(length=13), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('sector', sa.String(length=16), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('worker_id')
    )
    op.create_table('programmes',
    sa.Column('program_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('program_id')
    )
    schema_steps.create_messaging_tables()
    schema_steps.create_command_answers()
    schema_steps.create_outbox_archive()


def downgrade() -> None:
    schema_steps.drop_outbox_archive()
    schema_steps.drop_command_answers()
    schema_steps.drop_messaging_tables()
    op.drop_table('programmes')
    op.drop_table('worker_profiles')
    with op.batch_alter_table('facts', schema=None) as batch_op:
        batch_op.drop_index('ix_facts_worker')
        batch_op.drop_index('ix_facts_month')
    op.drop_table('facts')
