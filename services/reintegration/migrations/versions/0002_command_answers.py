"""command_answers: commands sent with an idempotency key answered once

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 21:40:00
"""
from pmi_common.schema_steps import create_command_answers, drop_command_answers

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_command_answers()


def downgrade() -> None:
    drop_command_answers()
