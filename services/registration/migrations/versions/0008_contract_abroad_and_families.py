"""the contract abroad on workers (start, end, sector, expected return) and the workers' families

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contract_starts_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('contract_ends_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('sector', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('expected_return_on', sa.Date(), nullable=True))
        batch_op.create_index(
            'ix_workers_status_contract_ends', ['status', 'contract_ends_on', 'id'], unique=False
        )
    op.create_table('family_members',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('worker_id', sa.String(length=36), nullable=False),
    sa.Column('full_name', sa.Text(), nullable=False),
    sa.Column('relation', sa.String(length=32), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('village', sa.String(length=100), nullable=True),
    sa.Column('district', sa.String(length=100), nullable=True),
    sa.Column('heir', sa.Boolean(), nullable=False),
    sa.Column('emergency_contact', sa.Boolean(), nullable=False),
    sa.Column('consent_to_contact', sa.Boolean(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('family_members', schema=None) as batch_op:
        batch_op.create_index('ix_family_members_worker', ['worker_id', 'added_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('family_members', schema=None) as batch_op:
        batch_op.drop_index('ix_family_members_worker')
    op.drop_table('family_members')
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_index('ix_workers_status_contract_ends')
        batch_op.drop_column('expected_return_on')
        batch_op.drop_column('sector')
        batch_op.drop_column('contract_ends_on')
        batch_op.drop_column('contract_starts_on')
