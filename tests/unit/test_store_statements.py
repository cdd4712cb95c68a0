"""The runtime's ON CONFLICT inserts are built once for each shape: on PostgreSQL any number of
rows is one statement (arrays, ``unnest``), so batches of every size share one compiled form
instead of filling SQLAlchemy's compiled cache with one statement per row count."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, create_engine, select
from sqlalchemy.dialects import postgresql

from pmi_common.store import insert_if_absent, on_conflict, upsert, upsert_many
from pmi_common.tables import AwareDateTime

table = Table(
    "things",
    MetaData(),
    Column("id", String(36), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("at", AwareDateTime(), nullable=False),
)
AT = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def rows(count: int) -> list[dict]:
    return [{"id": f"t-{i}", "n": i, "ok": i % 2 == 0, "at": AT} for i in range(count)]


def test_many_rows_are_one_statement_on_postgresql_whatever_their_number():
    three, _ = on_conflict("postgresql", table, rows(3), ["id"], returning=["id"])
    forty, params = on_conflict("postgresql", table, rows(40), ["id"], returning=["id"])
    assert three is forty
    sql = str(forty.compile(dialect=postgresql.dialect()))
    assert "unnest(CAST(%(id)s AS VARCHAR(36)[])" in sql
    assert "CAST(%(at)s AS TIMESTAMP WITH TIME ZONE[])" in sql
    assert sql.endswith("ON CONFLICT (id) DO NOTHING RETURNING id")
    assert params["n"] == list(range(40)) and params["ok"][:2] == [True, False]


def test_one_row_and_sqlite_use_values_with_the_columns_types():
    one, params = on_conflict("postgresql", table, rows(1), ["id"], update=["n"])
    assert "VALUES (%(id_0)s, %(n_0)s, %(ok_0)s, %(at_0)s)" in str(
        one.compile(dialect=postgresql.dialect())
    )
    assert "DO UPDATE SET n = excluded.n" in str(one)
    assert params == {"id_0": "t-0", "n_0": 0, "ok_0": True, "at_0": AT}
    two, _ = on_conflict("sqlite", table, rows(2), ["id"])
    assert str(two).count("(:id_") == 2


def test_the_helpers_insert_skip_and_update_on_sqlite():
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        assert insert_if_absent(conn, table, "id", id="a", n=1, ok=True, at=AT)
        assert not insert_if_absent(conn, table, "id", id="a", n=9, ok=True, at=AT)
        upsert(conn, table, "id", {"id": "b", "n": 2, "ok": False, "at": AT}, ["n"])
        upsert(conn, table, "id", {"id": "b", "n": 3, "ok": False, "at": AT}, ["n"])
        upsert_many(
            conn,
            table,
            "id",
            [{"id": "a", "n": 10, "ok": True, "at": AT}, {"id": "c", "n": 4, "ok": True, "at": AT}],
            ["n"],
        )
        found = dict(conn.execute(select(table.c.id, table.c.n)).all())
        assert found == {"a": 10, "b": 3, "c": 4}
        assert conn.execute(select(table.c.at).where(table.c.id == "c")).scalar() == AT
