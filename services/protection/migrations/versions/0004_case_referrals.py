"""referrals of a case and the answers of the agency referred to

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 08:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('case_steps', sa.Column('referral', sa.JSON(), nullable=True))
    op.add_column('case_steps', sa.Column('agency', sa.String(length=40), nullable=True))
    op.add_column('case_steps', sa.Column('answer', sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column('case_steps', 'answer')
    op.drop_column('case_steps', 'agency')
    op.drop_column('case_steps', 'referral')
