"""the worker's app: sign-in codes (digests), devices and their rotating refresh tokens

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 11:15:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def moment(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sign_in_codes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=True),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        moment("created_at"),
        moment("expires_at"),
        sa.Column("tries", sa.Integer(), nullable=False),
        moment("used_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sign_in_codes_expires_at", "sign_in_codes", ["expires_at"])
    op.create_table(
        "app_devices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        moment("created_at"),
        moment("last_used_at"),
        moment("ended_at", nullable=True),
        sa.Column("ended_by", sa.String(length=200), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_app_devices_worker", "app_devices", ["worker_id"])
    op.create_table(
        "refresh_tokens",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        moment("issued_at"),
        moment("expires_at"),
        moment("rotated_at", nullable=True),
        sa.Column("access_jti", sa.String(length=64), nullable=False),
        moment("access_expires_at"),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_index("ix_refresh_tokens_device", "refresh_tokens", ["device_id"])


def downgrade() -> None:
    op.drop_table("refresh_tokens")
    op.drop_table("app_devices")
    op.drop_table("sign_in_codes")
