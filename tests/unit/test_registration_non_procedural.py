"""Workers who left outside the procedure: recorded abroad with what the family knows, flagged
non-procedural, without the pre-departure gates; they return and are reintegrated like any
other, and the family's account reaches no agency unless named."""

from __future__ import annotations

import datetime as dt

import pytest

from pmi_common import contract as c
from pmi_common.errors import DuplicateRegistration, InvalidInput
from pmi_common.lifecycle import DEPARTED, IN_REINTEGRATION, RETURNED
from services.agencies.published import parse_fields
from services.registration import handlers
from tests.helpers import worker_payload
from tests.unit.test_registration_family import agreement, published
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

ACCOUNT = "left with a sponsor from the next village in 2025; calls once a month"


def abroad(**overrides) -> dict:
    payload = worker_payload(destination_country="SA")
    del payload["occupation"], payload["placement_agency"]
    left = (TODAY - dt.timedelta(days=500)).isoformat()
    return {**payload, "left_on": left, "family_account": ACCOUNT, "source": "family", **overrides}


def record(uow, **overrides):
    return uow.run(handlers.record_non_procedural_worker, abroad(**overrides), NOW, TODAY)


def test_a_worker_who_left_outside_the_procedure_is_abroad_flagged_and_noted_without_the_account(
    uow, repository
):
    worker = record(uow, employer="a household in Riyadh")

    assert (worker.status, worker.non_procedural, worker.family_account) == (
        DEPARTED,
        True,
        ACCOUNT,
    )
    assert worker.departed_on == TODAY - dt.timedelta(days=500)
    assert not worker.documents_complete and worker.contract_ends_on is None
    types = [e["event_type"] for e in uow.published]
    assert types == [
        c.WORKER_REGISTERED,
        c.WORKER_STATUS_CHANGED,
        c.NON_PROCEDURAL_WORKER_RECORDED,
    ]
    assert uow.published[1]["data"]["reason"] == "non_procedural_recorded"
    assert uow.published[2]["data"]["family_account"] == ACCOUNT
    noted = repository.timeline(worker.id)[-1]
    assert noted.event_type == c.NON_PROCEDURAL_WORKER_RECORDED
    assert "family_account" not in noted.details and noted.details["country"] == "SA"


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"left_on": (TODAY + dt.timedelta(days=1)).isoformat()}, "left_on"),
        ({"left_on": "1990-01-01"}, "left_on"),  # before the worker was born
        ({"source": "gossip"}, "source"),
    ],
)
def test_a_time_abroad_that_does_not_fit_is_refused_naming_the_field(
    uow, repository, overrides, field
):
    problem = refused(
        uow,
        repository,
        InvalidInput,
        handlers.record_non_procedural_worker,
        abroad(**overrides),
        NOW,
        TODAY,
    )
    assert field in problem.details


def test_a_non_procedural_worker_returns_and_is_reintegrated_like_any_other(uow):
    worker = record(uow, left_on=None)
    uow.run(
        handlers.record_return,
        worker.id,
        {"returned_on": TODAY.isoformat(), "reason": "deported"},
        NOW,
        TODAY,
    )
    assert worker.status == RETURNED and worker.non_procedural
    apply(uow, c.REINTEGRATION_ENROLLED, worker, reintegration("returnee"))
    assert worker.status == IN_REINTEGRATION


def test_a_candidate_in_the_procedure_is_not_recorded_twice(uow, repository):
    nik = worker_payload()["nik"]
    register(uow, nik=nik)
    refused(
        uow,
        repository,
        DuplicateRegistration,
        handlers.record_non_procedural_worker,
        abroad(nik=nik, birth_date="1994-03-17", sex="F"),
        NOW,
        TODAY,
    )


def test_the_familys_account_is_given_only_to_an_agreement_naming_it():
    types = (c.NON_PROCEDURAL_WORKER_RECORDED,)
    with pytest.raises(InvalidInput) as refused:
        parse_fields(types, None)
    assert "family_account: a family's personal or health data" in str(refused.value.details)
    named = parse_fields(types, ["non_procedural_worker_recorded:country,family_account"])
    event = published(c.NON_PROCEDURAL_WORKER_RECORDED, agreement(named))
    assert set(event["data"]) == {"country", "family_account"}
