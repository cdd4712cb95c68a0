"""A worker abroad due home: registration's periodic check announces ``contract_ending`` once per
contract end date, when the contract ends within the notice (60 days unless configured), and puts
it on the timeline; an extension is announced again for its new date; a worker home, dead or past
the contract is not announced."""

from __future__ import annotations

import datetime as dt

import pytest

from pmi_common import contract as c
from services.registration import handlers
from services.registration.domain import CONTRACT_ENDING_NOTICE_DAYS, Worker
from tests.unit.test_registration_abroad import depart
from tests.unit.test_registration_handlers import (  # noqa: F401
    NOW,
    TODAY,
    repository,
    uow,
)

NOTICE = CONTRACT_ENDING_NOTICE_DAYS


def check(uow, today: dt.date = TODAY, notice: int = NOTICE, batch: int = 200) -> int:
    return uow.run(handlers.announce_contracts_ending, today, notice, batch)


def announced(uow) -> list[dict]:
    return [e for e in uow.published if e["event_type"] == c.CONTRACT_ENDING]


def test_a_contract_ending_within_the_notice_is_announced_once_and_noted_on_the_timeline(
    uow, repository
):
    worker = depart(uow, ends_on=TODAY + dt.timedelta(days=30))

    assert check(uow) == 1
    assert check(uow) == 0  # the next hour's check: nothing new

    (ending,) = announced(uow)
    assert ending["worker_id"] == worker.id
    assert ending["data"] == {
        "ends_on": (TODAY + dt.timedelta(days=30)).isoformat(),
        "days_left": 30,
        "cycle": 1,
    }
    noted = handlers.get_timeline(repository, worker.id)[-1]
    assert (noted.event_type, noted.details["ends_on"]) == (
        c.CONTRACT_ENDING,
        ending["data"]["ends_on"],
    )
    assert worker.status == "departed"  # due home is not a status


def test_an_extension_is_announced_again_for_its_new_date_once_that_comes_within_the_notice(uow):
    worker = depart(uow, ends_on=TODAY + dt.timedelta(days=20))
    assert check(uow) == 1
    new_end = TODAY + dt.timedelta(days=200)
    uow.run(handlers.extend_contract, worker.id, {"ends_on": new_end.isoformat()}, NOW)

    assert check(uow) == 0  # 200 days away: not yet
    later = new_end - dt.timedelta(days=NOTICE)
    assert check(uow, today=later) == 1
    assert check(uow, today=later + dt.timedelta(days=1)) == 0

    assert [(e["data"]["ends_on"], e["data"]["days_left"]) for e in announced(uow)] == [
        ((TODAY + dt.timedelta(days=20)).isoformat(), 20),
        (new_end.isoformat(), NOTICE),
    ]


def test_a_worker_home_dead_past_the_contract_or_far_from_its_end_is_not_announced(uow):
    home = depart(uow, ends_on=TODAY + dt.timedelta(days=10))
    uow.run(
        handlers.record_return,
        home.id,
        {"returned_on": TODAY.isoformat(), "reason": "contract_ended"},
        NOW,
        TODAY,
    )
    dead = depart(uow, ends_on=TODAY + dt.timedelta(days=10))
    uow.run(
        handlers.record_death,
        dead.id,
        {
            "died_on": TODAY.isoformat(),
            "country": "HK",
            "cause": "illness",
            "remains_repatriated": False,
        },
        NOW,
        TODAY,
    )
    depart(uow, ends_on=TODAY + dt.timedelta(days=NOTICE + 7))  # not yet
    depart(uow)  # no end known
    past = depart(uow, ends_on=TODAY + dt.timedelta(days=5))

    assert check(uow, today=TODAY + dt.timedelta(days=6)) == 0  # past's contract ended yesterday
    assert check(uow) == 1
    assert [e["worker_id"] for e in announced(uow)] == [past.id]


def test_the_notice_is_configurable_and_a_check_takes_a_batch_at_a_time_soonest_first(uow):
    far = depart(uow, ends_on=TODAY + dt.timedelta(days=80))
    near = depart(uow, ends_on=TODAY + dt.timedelta(days=3))

    assert check(uow) == 1  # the 60 days' notice: only the near one
    assert check(uow, notice=90, batch=1) == 1
    assert check(uow, notice=90, batch=1) == 0
    assert [e["worker_id"] for e in announced(uow)] == [near.id, far.id]


@pytest.mark.parametrize(
    "status,ends_in,announced_for_same,due",
    [
        ("departed", 0, False, True),  # ends today
        ("departed", NOTICE, False, True),
        ("departed", NOTICE + 1, False, False),
        ("departed", -1, False, False),  # past: the outreach list's, not a notice's
        ("departed", 10, True, False),  # announced already for this date
        ("returned", 10, False, False),
        ("deceased", 10, False, False),
    ],
)
def test_a_coming_home_is_due_once_per_end_date_while_abroad(
    status, ends_in, announced_for_same, due
):
    ends_on = TODAY + dt.timedelta(days=ends_in)
    worker = Worker(
        status=status,
        contract_ends_on=ends_on,
        contract_ending_announced_for=ends_on if announced_for_same else None,
    )
    assert worker.contract_ending_due(TODAY, NOTICE) is due
    assert worker.announce_contract_ending(TODAY, NOTICE) == (ends_in if due else None)
    assert worker.contract_ending_due(TODAY, NOTICE) is False  # once announced, or never


def test_a_new_departure_forgets_what_was_announced_of_the_previous_contract():
    worker = Worker(status="departed", contract_ends_on=TODAY)
    worker.announce_contract_ending(TODAY, NOTICE)
    worker.status = "cleared_for_departure"
    worker.depart(TODAY, "Mrs Lee", "HK", TODAY, contract_ends_on=TODAY + dt.timedelta(days=9))
    assert worker.contract_ending_announced_for is None
    assert worker.contract_ending_due(TODAY, NOTICE)
