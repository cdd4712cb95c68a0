"""agreements, disclosures and the egress

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 20:54:15.910037
"""
import sqlalchemy as sa
from alembic import op

from pmi_common.schema_steps import create_messaging_tables, drop_messaging_tables


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agency_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('agency', sa.String(length=40), nullable=False),
    sa.Column('worker_id', sa.String(length=36), nullable=True),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('envelope', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('agency_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_agency_deliveries_agency', ['agency', 'id'], unique=False)

    op.create_table('agreement_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('agency', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('agreement_changes', schema=None) as batch_op:
        batch_op.create_index('ix_agreement_changes_agency', ['agency', 'id'], unique=False)

    op.create_table('agreements',
    sa.Column('agency', sa.String(length=40), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('legal_basis', sa.String(length=32), nullable=False),
    sa.Column('approved_by', sa.String(length=200), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('placement_agency', sa.String(length=200), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('agency')
    )
    op.create_table('disclosures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('worker_id', sa.String(length=36), nullable=False),
    sa.Column('agency', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('what', sa.String(length=64), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('disclosed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.create_index('ix_disclosures_worker', ['worker_id', 'id'], unique=False)

    create_messaging_tables()  # the egress's inbox and outbox

    op.create_table('recruits',
    sa.Column('worker_id', sa.String(length=36), nullable=False),
    sa.Column('placement_agency', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('worker_id')
    )


def downgrade() -> None:
    op.drop_table('recruits')
    drop_messaging_tables()
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.drop_index('ix_disclosures_worker')

    op.drop_table('disclosures')
    op.drop_table('agreements')
    with op.batch_alter_table('agreement_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_agreement_changes_agency')

    op.drop_table('agreement_changes')
    with op.batch_alter_table('agency_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_agency_deliveries_agency')

    op.drop_table('agency_deliveries')
