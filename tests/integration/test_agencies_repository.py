"""One contract for the agencies repository, checked against the in-memory fake the handler tests
use and the real one on PostgreSQL (the agencies database): agreements and their changes, who
recruited each worker, and what waits for agencies' queues and webhooks."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest

from pmi_common.agreement import BINARY, Agreement, Disclosure
from services.agencies.domain import AgencySettings
from services.agencies.repository import AgenciesRepository
from tests.helpers import Kept, kept_on
from tests.unit.fakes.agencies import FakeAgenciesRepository

NOW = dt.datetime(2026, 12, 6, 8, tzinfo=dt.UTC)


@pytest.fixture(params=["fake", "postgresql"])
def kept(request) -> Iterator[Kept]:
    yield from kept_on(request, FakeAgenciesRepository, AgenciesRepository, "agencies")


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


def an_agreement(agency: str, **terms) -> Agreement:
    return Agreement(
        **{
            "agency": agency,
            "fields": {"worker_departed": ("departed_on", "employer")},
            "purpose": "social security membership",
            "legal_basis": "legal_obligation",
            "approved_by": "Kepala Dinas",
            "valid_from": NOW,
            **terms,
        }
    )


def test_an_agreement_is_kept_whole_and_read_back_as_the_domain_s(kept):
    agency = f"bpjs-{uuid.uuid4().hex[:6]}"
    assert kept.repository.agreement_of(agency) is None
    agreement = an_agreement(agency, placement_agency="PT Sinar Jaya")
    kept.repository.keep_agreement(
        agreement, changed_by="op-1", now=NOW, action="created", changes={"purpose": [None, "p"]}
    )
    kept.again()
    assert kept.repository.agreement_of(agency) == agreement
    assert kept.repository.agreement_of(agency, lock=True) == agreement
    assert agreement in kept.repository.agreements()


def test_a_changed_agreement_replaces_the_old_and_each_change_is_on_record_in_order(kept):
    agency = f"bpjs-{uuid.uuid4().hex[:6]}"
    first = an_agreement(agency)
    ended = an_agreement(agency, valid_until=NOW + dt.timedelta(days=1), version=2)
    kept.repository.keep_agreement(first, changed_by="op-1", now=NOW, action="created", changes={})
    kept.repository.keep_agreement(
        ended,
        changed_by="op-2",
        now=NOW + dt.timedelta(days=1),
        action="ended",
        changes={"valid_until": [None, "2026-12-07T08:00:00+00:00"]},
    )
    kept.again()
    assert kept.repository.agreement_of(agency) == ended
    assert [a.agency for a in kept.repository.agreements()].count(agency) == 1
    history = kept.repository.agreement_history(agency)
    assert [(h["version"], h["action"], h["changed_by"]) for h in history] == [
        (1, "created", "op-1"),
        (2, "ended", "op-2"),
    ]
    assert history[1]["changes"] == {"valid_until": [None, "2026-12-07T08:00:00+00:00"]}


def test_a_worker_s_disclosures_are_read_newest_first_a_page_at_a_time(kept):
    her, other = a_worker(), a_worker()
    given = [
        Disclosure("bpjs", her, "amqp", "worker_registered", f"event-{n}", ["full_name"])
        for n in range(3)
    ]
    elsewhere = [Disclosure("bpjs", other, "http", "get_worker", "/workers/x", ["sex"])]
    assert kept.repository.record_disclosures(given[:2], NOW) == 2
    kept.repository.record_disclosures(elsewhere + given[2:], NOW + dt.timedelta(minutes=1))
    assert kept.repository.record_disclosures([], NOW) == 0
    kept.again()
    first = kept.repository.disclosures_of(her, limit=2)
    assert [d["reference"] for d in first["items"]] == ["event-2", "event-1"]
    rest = kept.repository.disclosures_of(her, limit=2, cursor=first["next_cursor"])
    assert [d["reference"] for d in rest["items"]] == ["event-0"]
    assert rest["next_cursor"] is None
    assert rest["items"][0] == {
        "agency": "bpjs",
        "channel": "amqp",
        "what": "worker_registered",
        "reference": "event-0",
        "fields": ["full_name"],
        "disclosed_at": NOW.isoformat(),
    }


def test_an_agency_without_settings_has_the_defaults_and_kept_settings_replace_them(kept):
    agency = f"bpjs-{uuid.uuid4().hex[:6]}"
    assert kept.repository.settings_of(agency) == AgencySettings(agency)
    kept.repository.keep_settings(AgencySettings(agency, BINARY), "op-1", NOW)
    kept.repository.keep_settings(
        AgencySettings(agency, BINARY, "integrasi@bpjs.example"), "op-2", NOW
    )
    kept.again()
    assert kept.repository.settings_of(agency) == AgencySettings(
        agency, BINARY, "integrasi@bpjs.example"
    )


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
