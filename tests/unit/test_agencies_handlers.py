"""What the agencies service does with an event, over the in-memory repository: each agency
receives what its agreement grants, a placement company its own recruits only, and each webhook
endpoint the types it asked for; an agreement's every change is on record."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace

import pytest

from pmi_common import contract as c
from pmi_common.agreement import BINARY, STRUCTURED, Agreement
from pmi_common.errors import InvalidInput, NotFound
from services.agencies import handlers
from services.agencies.domain import AgencySettings, Endpoint, Secret
from tests.unit.fakes.agencies import FakeAgenciesRepository

NOW = dt.datetime(2026, 12, 6, 8, tzinfo=dt.UTC)
KEY = "k" * 32


def agreement(agency: str, placement_agency: str | None = None) -> Agreement:
    return Agreement(
        agency=agency,
        fields={c.WORKER_REGISTERED: ("full_name",), c.WORKER_DEPARTED: ("departed_on",)},
        purpose="p",
        legal_basis="legal_obligation",
        approved_by="b",
        valid_from=NOW - dt.timedelta(days=1),
        placement_agency=placement_agency,
    )


def event(worker: str, event_type: str, data: dict) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "event_version": 1,
        "occurred_at": NOW.isoformat(),
        "source": "registration",
        "worker_id": worker,
        "sequence": 1,
        "correlation_id": "3201 0145 0190 0001",
        "actor": None,
        "data": data,
    }


def registered(worker: str, company: str) -> dict:
    return event(
        worker,
        c.WORKER_REGISTERED,
        {
            "nik_masked": "3505********0001",
            "nik_digest": "ab" * 32,
            "full_name": "Siti",
            "sex": "F",
            "regency": "Blitar",
            "destination_country": "HK",
            "occupation": "caregiver",
            "placement_agency": company,
            "cycle": 1,
        },
    )


def departed(worker: str) -> dict:
    return event(
        worker,
        c.WORKER_DEPARTED,
        {
            "departed_on": "2026-12-01",
            "destination_country": "HK",
            "employer": "Mr Lin",
            "cycle": 1,
        },
    )


def never_asked(worker_id: str) -> str | None:
    raise AssertionError(f"registration was asked about {worker_id}")


def test_each_agency_receives_only_what_its_agreement_grants_and_a_company_its_own_recruits():
    repository = FakeAgenciesRepository()
    recruiters = handlers.Recruiters(repository, never_asked)
    agreements = [agreement("bpjs"), agreement("pt-a", "PT A")]
    hers, his = str(uuid.uuid4()), str(uuid.uuid4())
    for envelope in (registered(hers, "PT A"), registered(his, "PT B"), departed(his)):
        handlers.fan_out(repository, envelope, agreements, recruiters, KEY, NOW)

    assert [(r["event_type"], r["worker_id"]) for r in repository.queued_for("bpjs")] == [
        (c.WORKER_REGISTERED, hers),
        (c.WORKER_REGISTERED, his),
        (c.WORKER_DEPARTED, his),
    ]
    assert [r["worker_id"] for r in repository.queued_for("pt-a")] == [hers]
    first = repository.queued_for("bpjs")[0]["envelope"]
    assert first["data"] == {"full_name": "Siti"}  # no NIK in any form, nothing not granted
    assert first["correlation_id"] == first["event_id"]  # the caller's request id stays inside
    assert repository.recruiter_of(his) == "PT B"


def test_a_worker_registered_before_the_service_ran_is_asked_of_registration_once():
    repository = FakeAgenciesRepository()
    asked: list[str] = []

    def ask(worker_id: str) -> str | None:
        asked.append(worker_id)
        return "PT A"

    recruiters = handlers.Recruiters(repository, ask)
    worker = str(uuid.uuid4())
    for _ in range(2):
        handlers.fan_out(
            repository, departed(worker), [agreement("pt-a", "PT A")], recruiters, KEY, NOW
        )
    assert asked == [worker]
    assert len(repository.queued_for("pt-a")) == 2


def test_a_webhook_endpoint_gets_the_types_it_asked_for_in_the_queue_s_order():
    repository = FakeAgenciesRepository()
    hook = Endpoint(
        "e-1", "bpjs", "https://hooks.example/pmi", (c.WORKER_DEPARTED,), (Secret("s"),)
    )
    worker = str(uuid.uuid4())
    for envelope in (registered(worker, "PT A"), departed(worker)):
        handlers.fan_out(
            repository,
            envelope,
            [agreement("bpjs")],
            handlers.Recruiters(repository, never_asked),
            KEY,
            NOW,
            {"bpjs": [hook]},
        )
    (waiting,) = repository.queued_for_endpoint("e-1")
    assert (waiting["event_type"], waiting["order_key"], waiting["state"]) == (
        c.WORKER_DEPARTED,
        worker,
        "pending",
    )
    assert waiting["envelope"] == repository.queued_for("bpjs")[1]["envelope"]


def test_an_agreement_changed_is_recorded_term_by_term_and_an_unchanged_one_not_at_all():
    repository = FakeAgenciesRepository()
    first = handlers.put_agreement(repository, agreement("bpjs"), "op-1", NOW)
    wider = replace(agreement("bpjs"), purpose="membership and claims")
    again = handlers.put_agreement(repository, wider, "op-2", NOW + dt.timedelta(hours=1))
    same = handlers.put_agreement(repository, wider, "op-3", NOW + dt.timedelta(hours=2))

    assert (first.version, again.version, same.version) == (1, 2, 2)
    history = repository.agreement_history("bpjs")
    assert [(h["action"], h["changed_by"]) for h in history] == [
        ("created", "op-1"),
        ("changed", "op-2"),
    ]
    assert history[1]["changes"] == {"purpose": ["p", "membership and claims"]}
    assert set(history[0]["changes"]) >= {"fields", "purpose", "legal_basis", "valid_from"}


def test_an_ended_agreement_stays_on_record_and_is_no_longer_in_force():
    repository = FakeAgenciesRepository()
    handlers.put_agreement(repository, agreement("bpjs"), "op-1", NOW)
    ended = handlers.end_agreement(repository, "bpjs", "op-2", NOW + dt.timedelta(days=1))
    assert ended.version == 2 and not ended.in_force(NOW + dt.timedelta(days=1))
    assert repository.agreement_history("bpjs")[-1]["action"] == "ended"
    with pytest.raises(NotFound):
        handlers.end_agreement(repository, "imigrasi", "op-2", NOW)


def test_settings_change_only_what_is_given_and_bad_input_changes_nothing():
    repository = FakeAgenciesRepository()
    handlers.change_settings(repository, "bpjs", "op-1", NOW, contact_email="a@bpjs.example")
    handlers.change_settings(repository, "bpjs", "op-1", NOW, queue_format=STRUCTURED)
    with pytest.raises(InvalidInput):
        handlers.change_settings(
            repository, "bpjs", "op-1", NOW, queue_format=BINARY, contact_email="not an address"
        )
    assert repository.settings_of("bpjs") == AgencySettings("bpjs", STRUCTURED, "a@bpjs.example")


def test_the_agencies_service_can_ask_every_publishing_service_for_its_history():
    """A backfill asks each source of the granted types for its history by its name
    (``getattr(service, source).history``): every service that publishes an event agencies may
    be granted has its proxy, or a backfill of its events fails."""
    from pmi_common import contract as c
    from pmi_common.rpc import TimedRpcProxy
    from services.agencies.service import AgenciesService

    sources = {spec.source for spec in c.handled_by(c.AGENCIES)}
    proxies = {
        name for name, value in vars(AgenciesService).items() if isinstance(value, TimedRpcProxy)
    }
    assert sources and sources <= proxies, sorted(sources - proxies)
