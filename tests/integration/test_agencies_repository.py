"""One contract for the agencies repository, checked against the in-memory fake the handler tests
use and the real one on PostgreSQL (the gateway's database, where the agencies' tables live for
now): who recruited each worker, and what waits for agencies' queues and webhooks."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from services.agencies.repository import AgenciesRepository
from tests.unit.fakes.agencies import FakeAgenciesRepository

NOW = dt.datetime(2026, 12, 6, 8, tzinfo=dt.UTC)


@dataclass
class Kept:
    """A repository, and ``again()``: what was stored is read back from storage from now on."""

    repository: Any
    session: Session | None = None

    def again(self) -> None:
        if self.session is not None:
            self.session.flush()
            self.session.expire_all()


@pytest.fixture(params=["fake", "postgresql"])
def kept(request) -> Iterator[Kept]:
    if request.param == "fake":
        yield Kept(FakeAgenciesRepository())
        return
    engine = create_engine(request.getfixturevalue("database_urls")["gateway"])
    with Session(engine) as session, session.begin():
        yield Kept(AgenciesRepository(session), session)
    engine.dispose()


def a_worker() -> str:
    return str(uuid.uuid4())


def delivery(agency: str, worker_id: str, event_type: str = "worker_departed") -> dict:
    event_id = str(uuid.uuid4())
    return {
        "agency": agency,
        "worker_id": worker_id,
        "event_id": event_id,
        "event_type": event_type,
        "envelope": {"event_id": event_id, "event_type": event_type, "data": {}},
        "created_at": NOW,
    }


def for_endpoint(row: dict, endpoint_id: str) -> dict:
    return {
        **row,
        "endpoint_id": endpoint_id,
        "order_key": row["worker_id"],
        "occurred_at": NOW,
        "sequence": 1,
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": NOW,
    }


def test_a_worker_nobody_named_has_no_recruiter(kept):
    assert kept.repository.recruiter_of(a_worker()) is None


def test_the_latest_registration_names_the_recruiter(kept):
    worker = a_worker()
    kept.repository.keep_recruiter(worker, "PT Sinar Jaya")
    kept.repository.keep_recruiter(worker, "PT Maju Bersama")
    kept.again()
    assert kept.repository.recruiter_of(worker) == "PT Maju Bersama"


def test_many_recruiters_are_kept_at_once_and_replace_what_was_known(kept):
    known, new = a_worker(), a_worker()
    kept.repository.keep_recruiter(known, "PT Sinar Jaya")
    kept.repository.keep_recruiters({known: "PT Maju Bersama", new: "PT Sinar Jaya"})
    kept.again()
    assert kept.repository.recruiter_of(known) == "PT Maju Bersama"
    assert kept.repository.recruiter_of(new) == "PT Sinar Jaya"


def test_what_registration_answered_never_replaces_what_an_event_said(kept):
    heard, asked = a_worker(), a_worker()
    kept.repository.keep_recruiter(heard, "PT Maju Bersama")
    kept.repository.learn_recruiter(heard, "PT Sinar Jaya")
    kept.repository.learn_recruiter(asked, "PT Sinar Jaya")
    kept.again()
    assert kept.repository.recruiter_of(heard) == "PT Maju Bersama"
    assert kept.repository.recruiter_of(asked) == "PT Sinar Jaya"


def test_queued_events_wait_per_agency_and_per_endpoint_in_the_order_they_came(kept):
    agency, other = f"bpjs-{uuid.uuid4().hex[:6]}", f"imigrasi-{uuid.uuid4().hex[:6]}"
    endpoint = str(uuid.uuid4())
    worker = a_worker()
    first, second = delivery(agency, worker), delivery(agency, worker, "worker_returned")
    elsewhere = delivery(other, worker)
    kept.repository.queue([first, elsewhere, second], [for_endpoint(second, endpoint)])
    kept.again()
    assert [r["event_id"] for r in kept.repository.queued_for(agency)] == [
        first["event_id"],
        second["event_id"],
    ]
    assert [r["event_id"] for r in kept.repository.queued_for(other)] == [elsewhere["event_id"]]
    (waiting,) = kept.repository.queued_for_endpoint(endpoint)
    assert (waiting["event_id"], waiting["state"], waiting["agency"]) == (
        second["event_id"],
        "pending",
        agency,
    )
    assert waiting["envelope"] == second["envelope"]


def test_queueing_nothing_keeps_nothing(kept):
    agency = f"bpjs-{uuid.uuid4().hex[:6]}"
    kept.repository.queue([], [])
    kept.again()
    assert kept.repository.queued_for(agency) == []
