"""the agency tables leave the gateway's database: they live in the agencies service's own
(services/agencies/migrations), where `pmi agency move-tables` copied their rows

A table that holds rows and is not marked moved (the comment the move leaves on it) stops the
migration before anything is dropped: run the move first. On SQLite (development) a table
holding rows stops it too; an empty one is dropped.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 10:40:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# the tables the gateway's database held for the agencies service, and the mark `pmi agency
# move-tables` leaves on each once its rows are in the agencies database (as they stood at this
# revision: ``services.agencies.move`` holds the same two, and a test keeps them equal)
TABLES = (
    "agreements",
    "agreement_changes",
    "agency_settings",
    "disclosures",
    "recruits",
    "agency_deliveries",
    "webhook_endpoints",
    "webhook_deliveries",
    "webhook_attempts",
    "notices",
    "inbox",
    "outbox",
    "stream_sequences",
    "command_answers",
    "outbox_archive",
)
MOVED = "moved to the agencies database"


def _present(conn) -> list[str]:
    names = set(sa.inspect(conn).get_table_names())
    return [table for table in TABLES if table in names]


def _marked(conn, table: str) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    mark = conn.execute(
        sa.text("SELECT obj_description(to_regclass(:t), 'pg_class')"), {"t": f"public.{table}"}
    ).scalar()
    return mark == MOVED


def upgrade() -> None:
    conn = op.get_bind()
    present = _present(conn)
    unmoved = [
        table
        for table in present
        if not _marked(conn, table)
        and conn.execute(sa.text(f'SELECT EXISTS (SELECT 1 FROM "{table}")')).scalar()
    ]
    if unmoved and conn.dialect.name != "postgresql":
        raise RuntimeError(
            f"this SQLite gateway database still holds agency rows ({', '.join(unmoved)}): they "
            "are moved between PostgreSQL databases only; start development from a new file"
        )
    if unmoved:
        raise RuntimeError(
            "the gateway's database still holds agency rows not moved to the agencies database "
            f"({', '.join(unmoved)}): run `pmi agency move-tables` first, then migrate again"
        )
    for table in present:
        op.drop_table(table)


def downgrade() -> None:
    raise RuntimeError("the agency tables live in the agencies database: nothing to bring back")
