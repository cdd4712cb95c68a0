"""Former workers (mantan PMI): registered with a past placement straight into ``returned``,
without the pre-departure gates, and a returnee from then on."""

from __future__ import annotations

import pytest

from pmi_common import contract as c
from pmi_common.errors import DuplicateRegistration, InvalidInput
from pmi_common.lifecycle import IN_REINTEGRATION, RETURNED
from services.registration import handlers
from tests.helpers import worker_payload
from tests.unit.test_registration_handlers import (  # noqa: F401
    NOW,
    TODAY,
    apply,
    refused,
    register,
    reintegration,
    repository,
    uow,
)


def former(**overrides) -> dict:
    payload = worker_payload(destination_country="MY")
    del payload["occupation"], payload["placement_agency"]
    return {**payload, "from_year": 2009, "to_year": 2015, "source": "family", **overrides}


def register_former(uow, **overrides):
    return uow.run(handlers.register_former_worker, former(**overrides), NOW, TODAY)


def test_a_former_worker_is_a_returnee_from_the_start_and_says_where_they_worked(uow, repository):
    worker = register_former(uow, employer="Ladang Sawit Bhd", occupation="plantation worker")

    assert (worker.status, worker.stage) == (RETURNED, "return")
    assert not worker.documents_complete and worker.departed_on is None
    assert (worker.destination_country, worker.employer) == ("MY", "Ladang Sawit Bhd")
    assert worker.past_placement == {
        "country": "MY",
        "from_year": 2009,
        "to_year": 2015,
        "employer": "Ladang Sawit Bhd",
        "source": "family",
    }
    types = [e["event_type"] for e in uow.published]
    assert types == [c.WORKER_REGISTERED, c.WORKER_STATUS_CHANGED, c.FORMER_WORKER_REGISTERED]
    changed, announced = uow.published[1]["data"], uow.published[2]["data"]
    assert (changed["from_status"], changed["to_status"]) == (None, RETURNED)
    assert changed["reason"] == "former_worker_registered"
    assert announced["occupation"] == "plantation worker" and announced["cycle"] == 1
    entries = [e.event_type for e in repository.timeline(worker.id)]
    assert c.FORMER_WORKER_REGISTERED in entries


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"to_year": 2008}, "to_year"),  # before it started
        ({"to_year": TODAY.year + 1}, "to_year"),
        ({"from_year": 1994}, "from_year"),  # the worker's birth year
        ({"source": "rumour"}, "source"),
        ({"destination_country": "ID"}, "destination_country"),
    ],
)
def test_a_placement_that_does_not_fit_is_refused_naming_the_field(
    uow, repository, overrides, field
):
    problem = refused(
        uow,
        repository,
        InvalidInput,
        handlers.register_former_worker,
        former(**overrides),
        NOW,
        TODAY,
    )
    assert field in problem.details


def test_a_former_worker_joining_reintegration_moves_on_as_a_returnee(uow):
    worker = register_former(uow)
    apply(uow, c.REINTEGRATION_ENROLLED, worker, reintegration("returnee"))
    assert worker.status == IN_REINTEGRATION


def test_a_person_on_record_is_registered_as_former_only_once_their_cycle_ended(uow, repository):
    nik = worker_payload()["nik"]
    worker = register(uow, nik=nik)
    refused(
        uow,
        repository,
        DuplicateRegistration,
        handlers.register_former_worker,
        former(nik=nik, birth_date="1994-03-17", sex="F"),
        NOW,
        TODAY,
    )
    uow.run(handlers.withdraw_worker, worker.id, {"reason": "went abroad on her own"}, NOW)

    again = register_former(uow, nik=nik, birth_date="1994-03-17", sex="F")

    assert again.id == worker.id and (again.cycle, again.status) == (2, RETURNED)
    assert uow.published[-2]["data"]["reason"] == "former_worker_registered_after:withdrawn"
