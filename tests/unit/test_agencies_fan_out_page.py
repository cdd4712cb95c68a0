"""A page of history is fanned out with one statement per table (``handlers.fan_out_page``), and
queues exactly what fanning its events out one by one (``fan_out``, the live path) queues: the
same rows in the same order, the same recruits, a placement company judged by who recruited the
worker at that point of the page."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import Session

from pmi_common import contract as c
from pmi_common.agreement import Agreement
from services.agencies import handlers
from services.agencies.models import agency_deliveries, metadata, recruits
from services.agencies.repository import AgenciesRepository

NOW = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
KEY = "k" * 32
WORKERS = [str(uuid.UUID(int=n + 1)) for n in range(6)]


def agreement(agency: str, placement_agency: str | None = None) -> Agreement:
    return Agreement(
        agency=agency,
        fields={
            c.WORKER_REGISTERED: ("full_name", "cycle"),
            c.WORKER_STATUS_CHANGED: ("to_status",),
        },
        purpose="p",
        legal_basis="legal_obligation",
        approved_by="b",
        valid_from=NOW - dt.timedelta(days=1),
        placement_agency=placement_agency,
    )


AGREEMENTS = [agreement("bpjs"), agreement("pt-a", placement_agency="PT A")]


def registered(worker: str, company: str, cycle: int = 1) -> dict:
    return envelope(
        worker,
        c.WORKER_REGISTERED,
        {
            "nik_masked": "3505********0001",
            "nik_digest": "ab" * 32,
            "full_name": "Siti",
            "sex": "F",
            "regency": "Blitar",
            "destination_country": "HK",
            "occupation": "domestic worker",
            "placement_agency": company,
            "cycle": cycle,
        },
    )


def changed(worker: str) -> dict:
    return envelope(
        worker,
        c.WORKER_STATUS_CHANGED,
        {
            "from_status": "registered",
            "to_status": "documents_verified",
            "stage": "pre_departure",
            "reason": "checked",
            "cycle": 1,
        },
    )


def envelope(worker: str, event_type: str, data: dict) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "event_version": 1,
        "occurred_at": "2026-01-05T10:00:00+00:00",
        "source": "registration",
        "worker_id": worker,
        "sequence": 1,
        "correlation_id": str(uuid.uuid4()),
        "actor": {"role": "operator", "agency": "ltsa-blitar", "subject": "op-1"},
        "data": data,
    }


def page() -> list[dict]:
    """Workers of PT A and PT B; worker 0 moves from PT A to PT B within the page, worker 5 is
    not registered in the page (registration is asked), and worker 4 was kept before."""
    return [
        registered(WORKERS[0], "PT A"),
        changed(WORKERS[0]),
        registered(WORKERS[1], "PT B"),
        changed(WORKERS[1]),
        registered(WORKERS[2], "PT A"),
        changed(WORKERS[2]),
        changed(WORKERS[4]),
        registered(WORKERS[0], "PT B", cycle=2),
        changed(WORKERS[0]),
        changed(WORKERS[5]),
        registered(WORKERS[3], "PT A"),
        registered(WORKERS[2], "PT A"),
    ]


@pytest.fixture
def engine():
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:  # a recruit the agencies service kept before this page
        conn.execute(recruits.insert().values(worker_id=WORKERS[4], placement_agency="PT A"))
    yield engine
    engine.dispose()


def ask(worker_id: str) -> str | None:
    return {WORKERS[5]: "PT A"}.get(worker_id)


def queued(engine) -> tuple[list, dict]:
    with engine.connect() as conn:
        rows = [
            (r.agency, r.event_id, r.envelope)
            for r in conn.execute(select(agency_deliveries).order_by(agency_deliveries.c.id))
        ]
        kept = dict(conn.execute(select(recruits.c.worker_id, recruits.c.placement_agency)).all())
    return rows, kept


def statements(engine) -> list[str]:
    seen: list[str] = []
    event.listen(
        engine,
        "before_cursor_execute",
        lambda conn, cursor, sql, *args: seen.append(sql.split()[0]),
    )
    return seen


def test_a_page_queues_what_its_events_one_by_one_queue(engine):
    events = page()
    with Session(engine) as session, session.begin():
        recruiters = handlers.Recruiters(AgenciesRepository(session), ask)
        one_by_one = sum(
            len(handlers.fan_out(recruiters.repository, e, AGREEMENTS, recruiters, KEY, NOW))
            for e in events
        )
    expected = queued(engine)
    with engine.begin() as conn:
        conn.execute(agency_deliveries.delete())
        conn.execute(recruits.delete().where(recruits.c.worker_id != WORKERS[4]))

    with Session(engine) as session, session.begin():
        recruiters = handlers.Recruiters(AgenciesRepository(session), ask, batched=True)
        assert (
            handlers.fan_out_page(recruiters.repository, events, AGREEMENTS, recruiters, KEY, NOW)
            == one_by_one
        )
    assert queued(engine) == expected
    rows, kept = expected
    company = [
        (agency, e["event_type"], e["worker_id"]) for agency, _, e in rows if agency == "pt-a"
    ]
    assert company == [  # PT A's own recruits, worker 0 only until PT B registered it
        ("pt-a", c.WORKER_REGISTERED, WORKERS[0]),
        ("pt-a", c.WORKER_STATUS_CHANGED, WORKERS[0]),
        ("pt-a", c.WORKER_REGISTERED, WORKERS[2]),
        ("pt-a", c.WORKER_STATUS_CHANGED, WORKERS[2]),
        ("pt-a", c.WORKER_STATUS_CHANGED, WORKERS[4]),
        ("pt-a", c.WORKER_STATUS_CHANGED, WORKERS[5]),
        ("pt-a", c.WORKER_REGISTERED, WORKERS[3]),
        ("pt-a", c.WORKER_REGISTERED, WORKERS[2]),
    ]
    assert kept == {
        WORKERS[0]: "PT B",
        WORKERS[1]: "PT B",
        WORKERS[2]: "PT A",
        WORKERS[3]: "PT A",
        WORKERS[4]: "PT A",
        WORKERS[5]: "PT A",
    }


def test_a_page_is_one_statement_per_table_not_one_per_event(engine):
    events = [e for e in page() if e["worker_id"] not in (WORKERS[4], WORKERS[5])] * 20
    for e in events:
        e["event_id"] = str(uuid.uuid4())
    seen = statements(engine)
    with Session(engine) as session, session.begin():
        recruiters = handlers.Recruiters(AgenciesRepository(session), ask, batched=True)
        assert handlers.fan_out_page(
            recruiters.repository, events, [agreement("bpjs")], recruiters, KEY, NOW
        ) == len(events)
    writes = [s for s in seen if s.upper() in ("INSERT", "UPDATE")]
    assert len(writes) == 2, seen  # the recruits, then the deliveries
    rows, kept = queued(engine)
    assert [e for _, e, _ in rows] == [e["event_id"] for e in events]
    assert kept[WORKERS[0]] == "PT B"


def test_a_webhook_only_backfill_queues_nothing_for_the_agency_s_queue(engine):
    with Session(engine) as session, session.begin():
        recruiters = handlers.Recruiters(AgenciesRepository(session), ask, batched=True)
        assert (
            handlers.fan_out_page(
                recruiters.repository,
                page(),
                [agreement("bpjs")],
                recruiters,
                KEY,
                NOW,
                endpoints={},
                to_queues=False,
            )
            == 0
        )
    assert queued(engine)[0] == []
