"""A batch of incoming events is recorded in the inbox with one statement, and each event is
still applied at most once: one seen before is skipped, one twice in the batch applied once."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import MetaData, create_engine, event, func, select

from pmi_common.events import Event
from pmi_common.store import Store
from pmi_common.tables import add_messaging_tables


def incoming(event_id: str | None = None) -> Event:
    return Event(
        event_id=event_id or str(uuid.uuid4()),
        event_type="worker_registered",
        event_version=1,
        occurred_at=dt.datetime.now(dt.UTC),
        source="registration",
        worker_id=str(uuid.uuid4()),
        sequence=1,
        correlation_id="c",
        actor=None,
        data={},
    )


def a_store():
    engine = create_engine("sqlite://")
    tables = add_messaging_tables(MetaData())
    tables.inbox.metadata.create_all(engine)
    return Store(engine, tables, "documents", "c", None, wake_relay=lambda: None), engine


def inserts_into_inbox(engine) -> list[str]:
    seen = []
    event.listen(
        engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, *rest: (
            seen.append(statement)
            if statement.lstrip().upper().startswith("INSERT INTO INBOX")
            else None
        ),
    )
    return seen


def test_a_batch_is_recorded_in_one_statement_and_applied_once_each():
    store, engine = a_store()
    before = incoming()
    store.apply_once(before, lambda uow: None)
    twice = incoming()
    batch = [incoming(), before, twice, incoming(), twice]
    statements = inserts_into_inbox(engine)
    applied = []

    with store.applying(batch):
        for each in batch:
            store.apply_once(each, lambda uow, each=each: applied.append(each.event_id))

    assert len(statements) == 1
    assert applied == [batch[0].event_id, twice.event_id, batch[3].event_id]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(store.tables.inbox)).scalar() == 4


def test_an_event_outside_the_recorded_batch_is_still_claimed_on_its_own():
    store, engine = a_store()
    late = incoming()
    applied = []
    with store.applying([incoming()]):
        store.apply_once(late, lambda uow: applied.append(1))
        store.apply_once(late, lambda uow: applied.append(2))
    assert applied == [1]


def test_a_rolled_back_batch_leaves_no_inbox_record():
    store, engine = a_store()
    batch = [incoming(), incoming()]
    try:
        with store.applying(batch):
            store.apply_once(batch[0], lambda uow: None)
            raise RuntimeError("a handler failed")
    except RuntimeError:
        pass
    applied = []
    with store.applying(batch):
        for each in batch:
            store.apply_once(each, lambda uow, each=each: applied.append(each.event_id))
    assert applied == [e.event_id for e in batch]
