"""outbox_archive and the inbox's time index: retention

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 22:20:00
"""
from pmi_common.schema_steps import create_outbox_archive, drop_outbox_archive

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_archive()


def downgrade() -> None:
    drop_outbox_archive()
