"""worker_counts: the registry's counts by stage, status, regency and destination country, kept
by the database as workers are written, so that /stats reads a few dozen rows at any size

Each count is split over ``SHARDS`` rows picked by the writing connection, so concurrent writers
seldom wait on the same row; /stats sums them. Inserts are counted once per statement (a bulk
import of a million rows updates a few rows), updates only when a counted column changes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 23:59:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

SHARDS = 16
COUNTED = ("stage", "status", "regency", "destination_country")


def _dimensions(row: str) -> str:
    """(dimension, value) pairs of one worker row, as a VALUES list: the total, then each
    counted column, in a fixed order (counter rows are always locked in the same order)."""
    return ", ".join(["('total', '')"] + [f"('{name}', {row}.{name})" for name in COUNTED])


def _postgresql() -> None:
    upsert = ("ON CONFLICT (dimension, value, shard) "
              "DO UPDATE SET n = worker_counts.n + excluded.n")
    shard = f"pg_backend_pid() % {SHARDS}"
    op.execute(f"""
CREATE FUNCTION worker_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO worker_counts (dimension, value, shard, n)
  SELECT d.dimension, d.value, {shard}, count(*)
  FROM inserted, LATERAL (VALUES {_dimensions('inserted')}) AS d(dimension, value)
  GROUP BY d.dimension, d.value ORDER BY d.dimension, d.value
  {upsert};
  RETURN NULL;
END $$""")
    op.execute(f"""
CREATE FUNCTION worker_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO worker_counts (dimension, value, shard, n)
  SELECT d.dimension, d.value, {shard}, sum(d.n)
  FROM (SELECT o.*, -1 AS n FROM (VALUES {_dimensions('OLD')}) AS o(dimension, value)
        UNION ALL
        SELECT w.*, 1 FROM (VALUES {_dimensions('NEW')}) AS w(dimension, value)) AS d
  GROUP BY d.dimension, d.value HAVING sum(d.n) <> 0 ORDER BY d.dimension, d.value
  {upsert};
  RETURN NULL;
END $$""")
    op.execute(f"""
CREATE FUNCTION worker_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO worker_counts (dimension, value, shard, n)
  SELECT d.dimension, d.value, {shard}, -1
  FROM (VALUES {_dimensions('OLD')}) AS d(dimension, value) ORDER BY d.dimension, d.value
  {upsert};
  RETURN NULL;
END $$""")
    op.execute("""
CREATE FUNCTION worker_counts_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM worker_counts;
  RETURN NULL;
END $$""")
    op.execute("CREATE TRIGGER workers_counted_on_truncate AFTER TRUNCATE ON workers "
               "FOR EACH STATEMENT EXECUTE FUNCTION worker_counts_emptied()")
    op.execute("CREATE TRIGGER workers_counted_on_insert AFTER INSERT ON workers "
               "REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT "
               "EXECUTE FUNCTION worker_counts_inserted()")
    changed = " OR ".join(f"OLD.{name} IS DISTINCT FROM NEW.{name}" for name in COUNTED)
    op.execute(f"CREATE TRIGGER workers_counted_on_update AFTER UPDATE ON workers "
               f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION worker_counts_changed()")
    op.execute("CREATE TRIGGER workers_counted_on_delete AFTER DELETE ON workers "
               "FOR EACH ROW EXECUTE FUNCTION worker_counts_deleted()")


def _sqlite() -> None:
    """The quick local run: one writer at a time, one shard, a trigger per row."""
    def add(row: str, sign: int) -> str:
        return (f"INSERT INTO worker_counts (dimension, value, shard, n) "
                f"SELECT dimension, value, 0, {sign} FROM (SELECT 'total' AS dimension, '' AS "
                f"value UNION ALL " + " UNION ALL ".join(
                    f"SELECT '{name}', {row}.{name}" for name in COUNTED)
                + ") WHERE true ON CONFLICT (dimension, value, shard) "
                  "DO UPDATE SET n = n + excluded.n;")

    op.execute(f"CREATE TRIGGER workers_counted_on_insert AFTER INSERT ON workers "
               f"BEGIN {add('NEW', 1)} END")
    changed = " OR ".join(f"OLD.{name} IS NOT NEW.{name}" for name in COUNTED)
    op.execute(f"CREATE TRIGGER workers_counted_on_update AFTER UPDATE ON workers "
               f"WHEN {changed} BEGIN {add('OLD', -1)} {add('NEW', 1)} END")
    op.execute(f"CREATE TRIGGER workers_counted_on_delete AFTER DELETE ON workers "
               f"BEGIN {add('OLD', -1)} END")


def upgrade() -> None:
    op.create_table(
        'worker_counts',
        sa.Column('dimension', sa.String(length=32), nullable=False),
        sa.Column('value', sa.String(length=100), nullable=False),
        sa.Column('shard', sa.Integer(), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('dimension', 'value', 'shard'),
    )
    # the workers already registered, counted once (shard 0), before the triggers count the rest
    # (a migration runs while the service is stopped)
    op.execute("INSERT INTO worker_counts (dimension, value, shard, n) "
               "SELECT 'total', '', 0, count(*) FROM workers")
    for name in COUNTED:
        op.execute(f"INSERT INTO worker_counts (dimension, value, shard, n) "
                   f"SELECT '{name}', {name}, 0, count(*) FROM workers GROUP BY {name}")
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def downgrade() -> None:
    for trigger in ("insert", "update", "delete", "truncate"):
        op.execute(f"DROP TRIGGER IF EXISTS workers_counted_on_{trigger} ON workers"
                   if op.get_bind().dialect.name == "postgresql"
                   else f"DROP TRIGGER IF EXISTS workers_counted_on_{trigger}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS worker_counts_inserted()")
        op.execute("DROP FUNCTION IF EXISTS worker_counts_changed()")
        op.execute("DROP FUNCTION IF EXISTS worker_counts_deleted()")
        op.execute("DROP FUNCTION IF EXISTS worker_counts_emptied()")
    op.drop_table('worker_counts')
