"""Schema steps every service's migrations share (the messaging tables are the same everywhere).

Each function is one released step, called from each service's own migration; a released step is
never edited: a later change is a new function and new migrations.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create_command_answers() -> None:
    """The answers to commands sent with an idempotency key (``Store.command``)."""
    op.create_table(
        'command_answers',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('answer', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_index('ix_command_answers_expires_at', 'command_answers', ['expires_at'])


def create_outbox_archive() -> None:
    """Retention: the compact archive of published outbox rows, and the inbox's time index."""
    op.create_table(
        'outbox_archive',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=False, nullable=False),
        sa.Column('event_type', sa.String(length=64), nullable=False),
        sa.Column('worker_id', sa.String(length=36), nullable=True),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('envelope', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_inbox_applied_at', 'inbox', ['applied_at'], postgresql_using='brin')


def drop_outbox_archive() -> None:
    op.drop_index('ix_inbox_applied_at', table_name='inbox')
    op.drop_table('outbox_archive')


def drop_command_answers() -> None:
    op.drop_index('ix_command_answers_expires_at', table_name='command_answers')
    op.drop_table('command_answers')
