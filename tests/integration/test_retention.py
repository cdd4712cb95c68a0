"""Retention on the real database: the inbox forgets applied events past the retry horizon, the
outbox moves published events to the archive (and the history backfill pages through still gives
them, in order), expired
idempotency answers go, and nothing recent or unpublished is touched."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, text

from pmi_common import contract as c
from pmi_common.retention import RetentionPolicy, prune, table_sizes, unpack
from pmi_common.store import Database
from tests.helpers import wait_for, worker_payload
from tests.integration.test_backfill import (  # noqa: F401 - the fixture
    LIFECYCLE,
    call,
    register_and_publish,
    registration,
)
from tests.integration.test_gateway_idempotency import count

LATER = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)


def database_of(container) -> Database:
    return next(d for d in container.dependencies if isinstance(d, Database))


def test_published_events_move_to_the_archive_and_history_still_gives_them_in_order(
    registration, database_urls
):  # noqa: F811
    first = register_and_publish(registration, database_urls)
    second = register_and_publish(registration, database_urls)
    before = call(registration, "history", LIFECYCLE, "2020-01-01", 0, 10)["events"]
    database = database_of(registration)

    moved = prune(database.engine, database.tables, RetentionPolicy(), now=LATER)

    url = database_urls["registration"]
    assert moved["outbox_archived"] == 4
    assert count(url, "outbox") == 0 and count(url, "outbox_archive") == 4
    # the history a late agency's backfill pages through (the agencies service filters it)
    archived = call(registration, "history", LIFECYCLE, "2020-01-01", 0, 10)["events"]
    assert archived == before  # the very envelopes, in order
    assert [(e["worker_id"], e["sequence"]) for e in archived] == [
        (first["id"], 1),
        (first["id"], 2),
        (second["id"], 1),
        (second["id"], 2),
    ]

    third = register_and_publish(registration, database_urls)  # after the run: in the outbox
    page = call(registration, "history", [c.WORKER_REGISTERED], "2020-01-01", 0, 2)
    rest = call(registration, "history", [c.WORKER_REGISTERED], "2020-01-01", page["after"], 2)
    assert [e["worker_id"] for e in page["events"] + rest["events"]] == [
        first["id"],
        second["id"],
        third["id"],
    ]


def test_recent_and_unpublished_rows_stay_and_old_ones_go(registration, database_urls):  # noqa: F811
    database = database_of(registration)
    tables, engine = database.tables, database.engine
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(tables.inbox),
            [
                {
                    "event_id": f"old-{i}",
                    "event_type": c.DOCUMENT_VERIFIED,
                    "source": c.DOCUMENTS,
                    "applied_at": now - dt.timedelta(days=45),
                }
                for i in range(7)
            ]
            + [
                {
                    "event_id": "recent",
                    "event_type": c.DOCUMENT_VERIFIED,
                    "source": c.DOCUMENTS,
                    "applied_at": now - dt.timedelta(days=2),
                }
            ],
        )
        conn.execute(
            insert(tables.answers),
            [
                {
                    "key": "expired",
                    "answer": {"id": "w1"},
                    "created_at": now - dt.timedelta(days=2),
                    "expires_at": now - dt.timedelta(days=1),
                },
                {
                    "key": "current",
                    "answer": {"id": "w2"},
                    "created_at": now,
                    "expires_at": now + dt.timedelta(hours=20),
                },
            ],
        )
        conn.execute(
            insert(tables.outbox),
            [
                {
                    "event_id": "00000000-0000-4000-8000-000000000001",
                    "event_type": c.WORKER_REGISTERED,
                    "event_version": 1,
                    "worker_id": None,
                    "stream_id": "s",
                    "sequence": 1,
                    "occurred_at": now - dt.timedelta(days=60),
                    "envelope": {"unpublished": True},
                    "published_at": None,
                }
            ],
        )

    result = prune(engine, tables, RetentionPolicy(batch=3), now=now)

    assert result == {"inbox_deleted": 7, "outbox_archived": 0, "answers_deleted": 1}
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(text("SELECT event_id FROM inbox"))] == ["recent"]
        assert [r[0] for r in conn.execute(text("SELECT key FROM command_answers"))] == ["current"]
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar() == 1
    sizes = table_sizes(engine, tables)
    assert sizes["inbox"]["rows"] == 1 and sizes["inbox"]["bytes"] > 0


def test_an_archived_envelope_is_stored_compact_and_read_back_whole(registration, database_urls):  # noqa: F811
    register_and_publish(registration, database_urls)
    database = database_of(registration)
    engine = database.engine
    with engine.connect() as conn:
        before = conn.execute(text("SELECT envelope::text FROM outbox ORDER BY id")).scalars().all()
    prune(engine, database.tables, RetentionPolicy(), now=LATER)
    with engine.connect() as conn:
        blobs = (
            conn.execute(text("SELECT envelope FROM outbox_archive ORDER BY id")).scalars().all()
        )
    import json

    assert [unpack(bytes(b)) for b in blobs] == [json.loads(e) for e in before]
    assert all(len(bytes(b)) < len(e.encode()) for b, e in zip(blobs, before, strict=True))


def test_the_operator_command_runs_retention_for_a_service(
    registration, database_urls, monkeypatch, capsys
):  # noqa: F811
    from pmi_tools.cli import main

    register_and_publish(registration, database_urls)
    monkeypatch.setenv("REGISTRATION_DATABASE_URL", database_urls["registration"])
    monkeypatch.setenv("RETENTION_OUTBOX_DAYS", "0")

    main(["retention", "run", "registration"])

    assert '"outbox_archived": 2' in capsys.readouterr().out
    assert count(database_urls["registration"], "outbox_archive") == 2


def test_every_service_runs_retention_on_its_own_timer(
    container_factory, config_for, database_urls
):
    from services.registration.service import RegistrationService

    container = container_factory(
        RegistrationService,
        config_for("registration", RETENTION_SECONDS=0.2, RETENTION_OUTBOX_DAYS=0),
    )
    container.start()
    call(container, "register_worker", worker_payload())

    url = database_urls["registration"]
    wait_for(lambda: count(url, "outbox_archive") == 2, message="the timer archived the events")
    assert count(url, "outbox") == 0
