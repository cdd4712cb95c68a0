"""command_answers and outbox_archive for the egress's messaging tables: keyed commands answered
once, retention

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 22:30:00
"""
from pmi_common.schema_steps import (
    create_command_answers,
    create_outbox_archive,
    drop_command_answers,
    drop_outbox_archive,
)

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_command_answers()
    create_outbox_archive()


def downgrade() -> None:
    drop_outbox_archive()
    drop_command_answers()
