"""letters and their numbers

Revision ID: 0001
Revises:
Create Date: 2026-12-06 08:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

from pmi_common import schema_steps


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('letters',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('worker_id', sa.String(length=36), nullable=False),
    sa.Column('letter_type', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=True),
    sa.Column('requested_role', sa.String(length=32), nullable=True),
    sa.Column('village_code', sa.String(length=13), nullable=True),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('permission_giver_id', sa.String(length=36), nullable=True),
    sa.Column('permission_giver_relation', sa.String(length=32), nullable=True),
    sa.Column('permission_given_on', sa.Date(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('refusal_reason', sa.Text(), nullable=True),
    sa.Column('form_scan', sa.LargeBinary(), nullable=True),
    sa.Column('form_scan_sha256', sa.String(length=64), nullable=True),
    sa.Column('form_scan_media_type', sa.String(length=64), nullable=True),
    sa.Column('form_uploaded_by', sa.String(length=200), nullable=True),
    sa.Column('form_uploaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('number', sa.String(length=64), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('issued_by', sa.String(length=200), nullable=True),
    sa.Column('verification_code', sa.String(length=16), nullable=True),
    sa.Column('worker_initials', sa.String(length=64), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=200), nullable=True),
    sa.Column('revocation_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('letter_type', 'year', 'seq', name='uq_letters_type_year_seq'),
    sa.UniqueConstraint('number'),
    sa.UniqueConstraint('verification_code')
    )
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.create_index('ix_letters_worker', ['worker_id'], unique=False)
        batch_op.create_index('ix_letters_village_status', ['village_code', 'status'], unique=False)
        batch_op.create_index('ix_letters_status_requested', ['status', 'requested_at'], unique=False)

    op.create_table('letter_counters',
    sa.Column('letter_type', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('letter_type', 'year')
    )
    schema_steps.create_messaging_tables()
    schema_steps.create_command_answers()
    schema_steps.create_outbox_archive()


def downgrade() -> None:
    schema_steps.drop_outbox_archive()
    schema_steps.drop_command_answers()
    schema_steps.drop_messaging_tables()
    op.drop_table('letter_counters')
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_index('ix_letters_status_requested')
        batch_op.drop_index('ix_letters_village_status')
        batch_op.drop_index('ix_letters_worker')

    op.drop_table('letters')
