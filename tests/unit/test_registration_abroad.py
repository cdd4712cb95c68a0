"""The time abroad: the contract recorded with the departure, its extension, a change of employer,
the expected return, and the outreach list of contracts ending; the sector from the occupation."""

from __future__ import annotations

import datetime as dt

import pytest

from pmi_common import contract as c
from pmi_common.errors import InvalidInput, TransitionRefused
from services.registration import handlers
from services.registration.domain import FORMAL, INFORMAL, Worker, sector_of
from tests.helpers import worker_payload
from tests.unit.test_registration_handlers import (  # noqa: F401
    HORIZON,
    NOW,
    TODAY,
    cleared,
    refused,
    repository,
    returned,
    uow,
)


def depart(uow, ends_on: dt.date | None = None, starts_on: dt.date | None = None, **overrides):
    worker = cleared(uow)
    command = {
        "departed_on": TODAY.isoformat(),
        "destination_country": "HK",
        "employer": "Mrs Chan",
    }
    if ends_on:
        command["contract_ends_on"] = ends_on.isoformat()
    if starts_on:
        command["contract_starts_on"] = starts_on.isoformat()
    command.update(overrides)
    return uow.run(handlers.record_departure, worker.id, command, NOW, TODAY, HORIZON)


def last(uow) -> dict:
    return uow.published[-1]


@pytest.mark.parametrize(
    "occupation,sector",
    [
        ("caregiver", INFORMAL),
        ("Domestic worker", INFORMAL),
        ("penata laksana rumah tangga (PLRT)", INFORMAL),
        ("Pengasuh anak", INFORMAL),
        ("nanny", INFORMAL),
        ("factory operator", FORMAL),
        ("nurse", FORMAL),
        ("fishing vessel crew", FORMAL),
        ("caregiving equipment technician", FORMAL),  # a word, not a part of one
    ],
)
def test_the_sector_follows_from_the_occupation(occupation, sector):
    assert sector_of(occupation) == sector


def test_a_departure_records_the_contract_and_announces_it_after_the_departure(uow):
    ends = TODAY + dt.timedelta(days=730)
    worker = depart(uow, ends_on=ends)

    assert (worker.contract_starts_on, worker.contract_ends_on) == (TODAY, ends)
    assert worker.expected_return_on == ends
    assert worker.sector == sector_of(worker.occupation)
    departed, recorded = (
        e for e in uow.published if e["event_type"] in (c.WORKER_DEPARTED, c.CONTRACT_RECORDED)
    )
    assert set(departed["data"]) == {"departed_on", "destination_country", "employer", "cycle"}
    assert recorded["data"] == {
        "employer": "Mrs Chan",
        "occupation": worker.occupation,
        "sector": worker.sector,
        "starts_on": TODAY.isoformat(),
        "ends_on": ends.isoformat(),
        "expected_return_on": ends.isoformat(),
        "cycle": 1,
    }


def test_a_departure_without_a_known_end_records_a_contract_open_ended(uow):
    worker = depart(uow)
    assert worker.contract_starts_on == TODAY and worker.contract_ends_on is None
    assert uow.types()[-2] == c.CONTRACT_RECORDED


@pytest.mark.parametrize(
    "starts,ends,field",
    [
        (TODAY - dt.timedelta(days=1), None, "contract_starts_on"),
        (None, TODAY, "contract_ends_on"),
        (TODAY + dt.timedelta(days=10), TODAY + dt.timedelta(days=5), "contract_ends_on"),
    ],
)
def test_contract_dates_that_do_not_fit_refuse_the_whole_departure(
    uow, repository, starts, ends, field
):
    worker = cleared(uow)
    command = {
        "departed_on": TODAY.isoformat(),
        "destination_country": "HK",
        "employer": "Mrs Chan",
    }
    for name, value in (("contract_starts_on", starts), ("contract_ends_on", ends)):
        if value:
            command[name] = value.isoformat()
    problem = refused(
        uow,
        repository,
        InvalidInput,
        handlers.record_departure,
        worker.id,
        command,
        NOW,
        TODAY,
        HORIZON,
    )
    assert field in problem.details
    assert repository.workers[worker.id].status == "cleared_for_departure"


def test_an_extension_moves_the_end_and_the_expected_return(uow):
    first_end = TODAY + dt.timedelta(days=730)
    worker = depart(uow, ends_on=first_end)
    new_end = first_end + dt.timedelta(days=365)

    worker = uow.run(handlers.extend_contract, worker.id, {"ends_on": new_end.isoformat()}, NOW)

    assert worker.contract_ends_on == worker.expected_return_on == new_end
    assert last(uow)["event_type"] == c.CONTRACT_EXTENDED
    assert last(uow)["data"] == {
        "previous_ends_on": first_end.isoformat(),
        "ends_on": new_end.isoformat(),
        "cycle": 1,
    }
    assert worker.status == "departed"  # the time abroad goes on: no status change


def test_an_extension_that_does_not_end_later_is_refused(uow, repository):
    end = TODAY + dt.timedelta(days=730)
    worker = depart(uow, ends_on=end)
    problem = refused(
        uow,
        repository,
        InvalidInput,
        handlers.extend_contract,
        worker.id,
        {"ends_on": end.isoformat()},
        NOW,
    )
    assert "ends_on" in problem.details


def test_a_change_of_employer_names_both_and_the_reason_and_may_change_the_sector(uow):
    worker = depart(uow, ends_on=TODAY + dt.timedelta(days=700))
    worker = uow.run(
        handlers.change_employer,
        worker.id,
        {
            "employer": "Kowloon Garments Ltd",
            "changed_on": TODAY.isoformat(),
            "reason": "the employer emigrated",
            "occupation": "sewing machine operator",
        },
        NOW,
        TODAY,
    )
    assert (worker.employer, worker.sector) == ("Kowloon Garments Ltd", FORMAL)
    assert last(uow)["event_type"] == c.EMPLOYER_CHANGED
    assert last(uow)["data"]["previous_employer"] == "Mrs Chan"
    assert last(uow)["data"]["reason"] == "the employer emigrated"
    entry = uow.repository.timeline(worker.id)[-1]
    assert (
        entry.event_type == c.EMPLOYER_CHANGED and entry.details["changed_on"] == TODAY.isoformat()
    )


def test_a_change_to_the_same_employer_or_before_the_departure_is_refused(uow, repository):
    worker = depart(uow)
    for body, field in (
        ({"employer": "mrs chan", "changed_on": TODAY.isoformat()}, "employer"),
        ({"employer": "Mr Wong", "changed_on": "2020-01-01"}, "changed_on"),
    ):
        problem = refused(
            uow,
            repository,
            InvalidInput,
            handlers.change_employer,
            worker.id,
            {**body, "reason": "moved"},
            NOW,
            TODAY,
        )
        assert field in problem.details


def test_the_expected_return_is_recorded_without_moving_the_contract(uow):
    end = TODAY + dt.timedelta(days=700)
    worker = depart(uow, ends_on=end)
    early = TODAY + dt.timedelta(days=100)
    worker = uow.run(
        handlers.expect_return, worker.id, {"expected_return_on": early.isoformat()}, NOW
    )
    assert (worker.expected_return_on, worker.contract_ends_on) == (early, end)
    assert last(uow)["event_type"] == c.RETURN_EXPECTED


@pytest.mark.parametrize(
    "handler,body",
    [
        (handlers.extend_contract, {"ends_on": "2031-01-01"}),
        (handlers.expect_return, {"expected_return_on": "2031-01-01"}),
    ],
)
def test_the_contract_abroad_changes_only_while_the_worker_is_abroad(
    uow, repository, handler, body
):
    worker = cleared(uow)
    with pytest.raises(TransitionRefused):
        uow.run(handler, worker.id, body, NOW)
    back = returned(uow)
    with pytest.raises(TransitionRefused):
        uow.run(handler, back.id, body, NOW)


def test_the_outreach_list_holds_contracts_ending_within_the_days_asked_soonest_first(uow):
    soon = depart(uow, ends_on=TODAY + dt.timedelta(days=30))
    later = depart(uow, ends_on=TODAY + dt.timedelta(days=200))
    depart(uow)  # no end known: not listed
    back = returned(uow)  # home already: not listed
    sooner = depart(uow, ends_on=TODAY + dt.timedelta(days=10))

    listed, cursor = handlers.contracts_ending(uow.repository, {"within_days": "60"}, TODAY)
    assert [w.id for w in listed] == [sooner.id, soon.id] and cursor is None

    first, cursor = handlers.contracts_ending(
        uow.repository, {"within_days": 365, "limit": 2}, TODAY
    )
    rest, end = handlers.contracts_ending(
        uow.repository, {"within_days": 365, "limit": 2, "cursor": cursor}, TODAY
    )
    assert [w.id for w in first + rest] == [sooner.id, soon.id, later.id] and end is None
    assert back.id not in {w.id for w in first + rest}


def test_a_contract_that_ended_without_a_recorded_return_stays_on_the_outreach_list():
    worker = Worker(status="departed", contract_ends_on=TODAY - dt.timedelta(days=3))
    assert worker.contract_ends_within(TODAY, 0)
    assert not Worker(status="returned", contract_ends_on=TODAY).contract_ends_within(TODAY, 30)


def test_registering_again_forgets_the_previous_contract(uow):
    worker = returned(uow)
    assert worker.sector is not None
    again = uow.run(handlers.register_worker, worker_payload(nik=worker.nik), NOW, TODAY)
    assert again is worker
    assert (again.contract_ends_on, again.sector, again.expected_return_on) == (None, None, None)
