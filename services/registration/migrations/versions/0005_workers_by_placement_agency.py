"""workers by placement agency

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 21:10:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_workers_placement_agency_id', 'workers',
                    [sa.text('lower(placement_agency)'), 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_workers_placement_agency_id', table_name='workers')
