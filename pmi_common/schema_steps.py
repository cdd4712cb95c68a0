"""Schema steps every service's migrations share (the messaging tables are the same everywhere).

Each function is one released step, called from each service's own migration; a released step is
never edited: a later change is a new function and new migrations.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create_messaging_tables() -> None:
    """The inbox, the outbox and the per-stream sequences (``pmi_common.tables``), as every
    service's first migration writes them out."""
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("event_version", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=True),
        sa.Column("stream_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_stream", ["stream_id", "sequence"], unique=True)
        batch_op.create_index("ix_outbox_type_time", ["event_type", "occurred_at"], unique=False)
        batch_op.create_index(
            "ix_outbox_unpublished",
            ["id"],
            unique=False,
            postgresql_where=sa.text("published_at IS NULL"),
        )
    op.create_table(
        "stream_sequences",
        sa.Column("stream_id", sa.String(length=64), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("stream_id"),
    )


def drop_messaging_tables() -> None:
    op.drop_table("stream_sequences")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_unpublished", postgresql_where=sa.text("published_at IS NULL")
        )
        batch_op.drop_index("ix_outbox_type_time")
        batch_op.drop_index("ix_outbox_stream")
    op.drop_table("outbox")
    op.drop_table("inbox")


def create_command_answers() -> None:
    """The answers to commands sent with an idempotency key (``Store.command``)."""
    op.create_table(
        "command_answers",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_command_answers_expires_at", "command_answers", ["expires_at"])


def create_outbox_archive() -> None:
    """Retention: the compact archive of published outbox rows, and the inbox's time index."""
    op.create_table(
        "outbox_archive",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_inbox_applied_at", "inbox", ["applied_at"], postgresql_using="brin")


def drop_outbox_archive() -> None:
    op.drop_index("ix_inbox_applied_at", table_name="inbox")
    op.drop_table("outbox_archive")


def drop_command_answers() -> None:
    op.drop_index("ix_command_answers_expires_at", table_name="command_answers")
    op.drop_table("command_answers")


def if_role(role: str, statement: str) -> None:
    """Run ``statement`` (a GRANT or REVOKE to ``role``) when the role exists: roles are made
    where the database server is set up (infra/postgres/roles.sh, infra/k8s), and without one the
    statement grants nothing. SQLite has no roles."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"""
        DO $$ BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                {statement};
            END IF;
        END $$""")
