"""A query reads the database as of one moment: every statement of ``Store.read()`` (the session
a service's ``queries()`` hands its handlers) sees the same committed state, so a record and what
is loaded beside it by further statements (a case's steps, then its referrals) are never read
across a commit. Under PostgreSQL's default isolation each statement saw the latest commit: a
case was once read with its referral's letter mailed and without the step that says so."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from pmi_common.store import Store
from services.protection.models import messaging

PROBE = "snapshot_probe"


@pytest.fixture
def engines(database_urls):
    """The protection database, as a service reads it and as another writer commits to it."""
    reader, writer = (
        create_engine(database_urls["protection"]),
        create_engine(database_urls["protection"]),
    )
    with writer.begin() as conn:
        conn.execute(text(f"CREATE TABLE {PROBE} (n integer NOT NULL)"))
    yield reader, writer
    reader.dispose()
    with writer.begin() as conn:
        conn.execute(text(f"DROP TABLE {PROBE}"))
    writer.dispose()


def store(engine) -> Store:
    return Store(engine, messaging, "protection", "correlation", None, lambda: None)


def rows(session) -> int:
    return session.execute(text(f"SELECT count(*) FROM {PROBE}")).scalar_one()


def commit_a_row(writer) -> None:
    with writer.begin() as conn:
        conn.execute(text(f"INSERT INTO {PROBE} (n) VALUES (1)"))


def test_a_commit_between_two_statements_of_a_query_is_not_seen_by_the_second(engines):
    reader, writer = engines
    with store(reader).read() as session:
        first = rows(session)
        commit_a_row(writer)  # between the query's statements, as the mailing round did
        second = rows(session)
    with store(reader).read() as session:
        after = rows(session)

    assert (first, second) == (0, 0)
    assert after == 1  # the next query reads the commit


def test_a_query_reads_what_was_committed_before_it_began(engines):
    reader, writer = engines
    commit_a_row(writer)
    with store(reader).read() as session:
        assert rows(session) == 1
