"""a case's referrals with their letters, and each step on a referral's thread

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 13:30:00
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_referrals',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('referred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('referred_by', sa.String(length=200), nullable=True),
        sa.Column('name', sa.String(length=200), nullable=True),
        sa.Column('country', sa.String(length=2), nullable=True),
        sa.Column('agency', sa.String(length=40), nullable=True),
        sa.Column('summary', sa.Text(), nullable=True),
        sa.Column('email', sa.String(length=320), nullable=True),
        sa.Column('delivery', sa.String(length=16), nullable=False),
        sa.Column('letter', sa.LargeBinary(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('mailed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('case_referrals', schema=None) as batch_op:
        batch_op.create_index('ix_case_referrals_case', ['case_id', 'referred_at'], unique=False)
        batch_op.create_index('ix_case_referrals_due', ['delivery', 'next_try_at'], unique=False)
    with op.batch_alter_table('case_steps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referral_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('answered_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True))
    _threads()


def _threads() -> None:
    """The referrals made before letters: one each (a body outside the platform's as printed,
    with no letter), and the agencies' answers on the thread of the last referral to them."""
    steps = sa.table(
        'case_steps',
        sa.column('id', sa.BigInteger),
        sa.column('case_id', sa.String),
        sa.column('at', sa.DateTime(timezone=True)),
        sa.column('by', sa.String),
        sa.column('action', sa.String),
        sa.column('referral', sa.JSON),
        sa.column('agency', sa.String),
        sa.column('referral_id', sa.String),
        sa.column('answered_by', sa.String),
        sa.column('answered_at', sa.DateTime(timezone=True)),
    )
    referrals = sa.table(
        'case_referrals',
        *(sa.column(name) for name in (
            'id', 'case_id', 'kind', 'referred_at', 'referred_by', 'name', 'country', 'agency',
            'delivery', 'attempts',
        )),
    )
    bind = op.get_bind()
    last: dict[tuple[str, str], str] = {}
    for row in bind.execute(sa.select(steps).order_by(steps.c.id)).mappings().all():
        if row['referral'] is not None:
            made = str(uuid.uuid4())
            kind = row['referral'].get('kind') or ''
            bind.execute(referrals.insert().values(
                id=made, case_id=row['case_id'], kind=kind, referred_at=row['at'],
                referred_by=row['by'], name=row['referral'].get('name'),
                country=row['referral'].get('country'), agency=row['agency'],
                delivery='event' if kind == 'agency' else 'to_print', attempts=0,
            ))
            bind.execute(steps.update().where(steps.c.id == row['id']).values(referral_id=made))
            if row['agency']:
                last[(row['case_id'], row['agency'])] = made
        elif row['action'] == 'answered' and row['agency']:
            bind.execute(steps.update().where(steps.c.id == row['id']).values(
                referral_id=last.get((row['case_id'], row['agency'])),
                answered_by=row['agency'], answered_at=row['at'],
            ))


def downgrade() -> None:
    with op.batch_alter_table('case_steps', schema=None) as batch_op:
        batch_op.drop_column('answered_at')
        batch_op.drop_column('answered_by')
        batch_op.drop_column('referral_id')
    with op.batch_alter_table('case_referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_case_referrals_due')
        batch_op.drop_index('ix_case_referrals_case')
    op.drop_table('case_referrals')
