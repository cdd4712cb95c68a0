"""A protection case on the worker's record: its steps on the timeline without what is said in
it, a repatriation or a death that moves the worker, an outcome the record cannot take."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from gateway.agency_reads import timeline_for
from pmi_common import contract as c
from pmi_common.events import parse_event
from pmi_common.lifecycle import DECEASED, DEPARTED, RETURNED
from services.registration import handlers
from tests.events import envelope
from tests.unit.test_registration_family import MOTHER, agreement
from tests.unit.test_registration_handlers import (  # noqa: F401
    NOW,
    TODAY,
    departed,
    register,
    repository,
    uow,
)

CASE_ID = str(uuid.uuid4())


def case_data(case_type: str = "lost_contact", **extra) -> dict:
    return {
        "case_id": CASE_ID,
        "case_type": case_type,
        "urgency": "high",
        "sensitive": case_type in ("violence_abuse", "trafficking"),
        **extra,
    }


def opened(case_type: str = "lost_contact") -> dict:
    return case_data(
        case_type,
        case_number="PGD-2026-7K3M9Q2B",
        registered=True,
        destination_country="HK",
        reporter_kind="family_member",
        channel="desk",
        aspect="social",
        status="received",
        acknowledge_by=NOW,
        act_by=NOW,
    )


def outcome(kind: str, **details) -> dict:
    blank = dict.fromkeys(
        (
            "amount",
            "currency",
            "returned_on",
            "died_on",
            "died_in",
            "death_cause",
            "remains_arrive_on",
        )
    )
    return case_data(outcome=kind, **{**blank, **details})


def apply(uow, event_type: str, worker_id: str | None, data: dict, sequence: int = 1):
    event = parse_event(envelope(event_type, worker_id, data, sequence=sequence))
    return uow.run(handlers.EVENTS[event_type], event, TODAY)


def test_a_cases_steps_go_on_the_timeline_with_type_aspect_urgency_and_status_only(uow, repository):
    worker = departed(uow)
    apply(uow, c.CASE_OPENED, worker.id, opened())
    apply(
        uow,
        c.CASE_STATUS_CHANGED,
        worker.id,
        case_data(from_status="received", to_status="assessed"),
    )
    entries = [e for e in repository.timeline(worker.id) if e.event_type.startswith("case_")]
    assert [(e.event_type, e.details) for e in entries] == [
        (
            c.CASE_OPENED,
            {
                "case_id": CASE_ID,
                "case_type": "lost_contact",
                "aspect": "social",
                "urgency": "high",
                "sensitive": False,
                "status": "received",
            },
        ),
        (
            c.CASE_STATUS_CHANGED,
            {
                "case_id": CASE_ID,
                "case_type": "lost_contact",
                "urgency": "high",
                "from_status": "received",
                "sensitive": False,
                "status": "assessed",
            },
        ),
    ]
    assert "PGD-2026" not in json.dumps([e.details for e in entries])  # no number to look it up
    assert worker.status == DEPARTED


def test_a_sensitive_case_shows_only_that_a_protected_case_exists(uow, repository):
    worker = departed(uow)
    apply(uow, c.CASE_OPENED, worker.id, opened("trafficking"))
    (entry,) = [e for e in repository.timeline(worker.id) if e.event_type == c.CASE_OPENED]
    assert entry.details == {"sensitive": True, "status": "received"}


def test_a_case_about_someone_not_registered_is_nobodys_record(uow, repository):
    worker = departed(uow)
    before = len(repository.entries)
    assert apply(uow, c.CASE_OPENED, None, {**opened(), "registered": False}) is None
    assert len(repository.entries) == before and worker.status == DEPARTED


def test_a_repatriation_records_the_return_with_its_reason_caused_by_the_case(uow, repository):
    worker = departed(uow, on=TODAY - dt.timedelta(days=90))
    apply(uow, c.CASE_OUTCOME_RECORDED, worker.id, outcome("repatriated", returned_on=TODAY))
    assert (worker.status, worker.return_reason, worker.returned_on) == (
        RETURNED,
        "repatriated",
        TODAY,
    )
    returned, changed = uow.published[-2:]
    assert returned["event_type"] == c.WORKER_RETURNED
    assert returned["data"]["reason"] == "repatriated"
    assert changed["data"]["to_status"] == RETURNED
    kinds = [e.event_type for e in repository.timeline(worker.id)][-3:]
    assert kinds == [c.CASE_OUTCOME_RECORDED, c.WORKER_RETURNED, c.WORKER_STATUS_CHANGED]
    caused = repository.timeline(worker.id)[-1].details["caused_by"]
    assert caused["event_type"] == c.CASE_OUTCOME_RECORDED


def test_a_death_outcome_records_the_death_with_the_remains_coming_home(uow, repository):
    """Its heirs are those the family list marks as heirs, as the desk names them recording a
    death itself."""
    worker = departed(uow, on=TODAY - dt.timedelta(days=90))
    mother = uow.run(handlers.add_family_member, worker.id, MOTHER, NOW)
    uow.run(
        handlers.add_family_member,
        worker.id,
        {**MOTHER, "full_name": "Budi", "relation": "sibling", "heir": False},
        NOW,
    )
    apply(
        uow,
        c.CASE_OUTCOME_RECORDED,
        worker.id,
        outcome(
            "deceased_remains_repatriated",
            died_on=TODAY - dt.timedelta(days=2),
            died_in="HK",
            death_cause="illness",
        ),
    )
    assert (worker.status, worker.death_country, worker.remains_repatriated) == (
        DECEASED,
        "HK",
        True,
    )
    assert c.WORKER_DIED in uow.types()
    assert worker.heirs == [mother.id]
    died = next(e for e in uow.published if e["event_type"] == c.WORKER_DIED)
    assert [h["member_id"] for h in died["data"]["heirs"]] == [mother.id]
    noted = [e for e in repository.timeline(worker.id) if e.event_type == c.CASE_OUTCOME_RECORDED]
    assert noted[0].details["outcome"] == "deceased_remains_repatriated"
    assert "illness" not in json.dumps(noted[0].details)  # the cause stays with the death's entry


def test_an_outcome_the_record_cannot_take_moves_nothing_and_says_why(uow, repository):
    worker = register(uow)  # never left
    published = len(uow.published)
    apply(uow, c.CASE_OUTCOME_RECORDED, worker.id, outcome("repatriated", returned_on=TODAY))
    assert worker.status == "registered" and len(uow.published) == published
    (entry,) = [e for e in repository.timeline(worker.id) if e.event_type.startswith("case_")]
    assert "departed" in entry.details["not_applied"]


def test_other_outcomes_only_go_on_the_timeline(uow, repository):
    worker = departed(uow)
    apply(
        uow,
        c.CASE_OUTCOME_RECORDED,
        worker.id,
        outcome("wages_recovered", amount="12000.00", currency="HKD"),
    )
    assert worker.status == DEPARTED
    (entry,) = [e for e in repository.timeline(worker.id) if e.event_type.startswith("case_")]
    assert entry.details["outcome"] == "wages_recovered" and "amount" not in entry.details


def test_no_agency_reads_a_sensitive_cases_entry_even_when_its_fields_are_named():
    granted = agreement({c.CASE_OPENED: ("case_type", "status", "sensitive")})
    entries = [
        {"event_type": c.CASE_OPENED, "details": {"sensitive": True, "status": "received"}},
        {
            "event_type": c.CASE_OPENED,
            "details": {"case_type": "lost_contact", "sensitive": False, "status": "received"},
        },
    ]
    shown, _ = timeline_for(entries, granted, "k" * 32)
    assert [entry["details"].get("case_type") for entry in shown] == ["lost_contact"]
