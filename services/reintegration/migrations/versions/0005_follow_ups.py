"""the follow-ups of a business started, 6 and 12 months after the completion

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 10:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'follow_ups',
        sa.Column(
            'participant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False
        ),
        sa.Column('months', sa.Integer(), nullable=False),
        sa.Column('business_running', sa.Boolean(), nullable=False),
        sa.Column('income_band', sa.String(length=16), nullable=False),
        sa.Column('migrated_again', sa.Boolean(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['participant_id'], ['participants.id']),
        sa.PrimaryKeyConstraint('participant_id', 'months'),
    )


def downgrade() -> None:
    op.drop_table('follow_ups')
