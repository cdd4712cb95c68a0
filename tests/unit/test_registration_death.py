"""A worker's death: recorded from any status with the heirs from the family list, final for
registration and for every service that follows its word; a repatriation as a return; and what an
agency may have of a death."""

from __future__ import annotations

import datetime as dt

import pytest

from pmi_common import contract as c
from pmi_common.errors import DuplicateRegistration, InvalidInput, NotEligible, TransitionRefused
from pmi_common.lifecycle import DECEASED, DEPARTED, RETURNED
from services.agencies.published import parse_fields
from services.documents.domain import ensure_accepts_documents
from services.orientation.domain import NOT_BEFORE_DEPARTURE, Trainee
from services.registration import handlers
from services.reintegration.domain import Worker as Participant
from tests.helpers import worker_payload
from tests.unit.test_registration_family import MOTHER, agreement, published
from tests.unit.test_registration_handlers import (  # noqa: F401
    HORIZON,
    NOW,
    TODAY,
    departed,
    refused,
    register,
    repository,
    returned,
    uow,
)

DIED_ON = TODAY - dt.timedelta(days=3)


def death(**overrides) -> dict:
    return {
        "died_on": DIED_ON.isoformat(),
        "country": "HK",
        "cause": "work_accident",
        "remains_repatriated": True,
        "remains_arrive_on": (TODAY + dt.timedelta(days=5)).isoformat(),
        **overrides,
    }


def record(uow, worker, **overrides):
    return uow.run(handlers.record_death, worker.id, death(**overrides), NOW, TODAY)


def heir(uow, worker, **details):
    return uow.run(handlers.add_family_member, worker.id, {**MOTHER, **details}, NOW)


def test_a_death_abroad_is_final_announced_with_its_heirs_and_noted_without_their_names(
    uow, repository
):
    worker = departed(uow, on=TODAY - dt.timedelta(days=200))
    mother = heir(uow, worker)
    child = heir(uow, worker, full_name="Bagus", relation="child", emergency_contact=False)

    record(uow, worker, heirs=[mother.id, child.id])

    assert worker.status == DECEASED and worker.stage == "deceased"
    assert worker.heirs == [mother.id, child.id] and worker.death_cause == "work_accident"
    died, changed = uow.published[-2:]
    assert died["event_type"] == c.WORKER_DIED
    assert died["data"]["heirs"] == [
        {"member_id": mother.id, "relation": "parent"},
        {"member_id": child.id, "relation": "child"},
    ]
    assert died["data"]["heir_names"] == [
        {"member_id": mother.id, "full_name": "Sumini"},
        {"member_id": child.id, "full_name": "Bagus"},
    ]
    assert changed["data"]["to_status"] == DECEASED
    assert changed["data"]["reason"] == "died:work_accident"
    noted = next(e for e in repository.timeline(worker.id) if e.event_type == c.WORKER_DIED)
    assert "Sumini" not in str(noted.details) and "heir_names" not in noted.details
    assert noted.details["remains_repatriated"] is True


def test_an_heir_must_be_on_the_workers_own_family_list(uow, repository):
    worker = departed(uow)
    other = register(uow)
    strangers_mother = heir(uow, other)

    problem = refused(
        uow,
        repository,
        InvalidInput,
        handlers.record_death,
        worker.id,
        death(heirs=[strangers_mother.id]),
        NOW,
        TODAY,
    )
    assert "heirs" in problem.details and worker.status == DEPARTED


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"country": "ID"}, "remains_repatriated"),  # remains come home only from abroad
        ({"remains_repatriated": False}, "remains_arrive_on"),
        ({"remains_arrive_on": (DIED_ON - dt.timedelta(days=1)).isoformat()}, "remains_arrive_on"),
        ({"died_on": (TODAY + dt.timedelta(days=1)).isoformat()}, "died_on"),
        ({"cause": "bad luck"}, "cause"),
    ],
)
def test_a_death_that_does_not_fit_is_refused_naming_the_field(uow, repository, overrides, field):
    worker = departed(uow)
    problem = refused(
        uow,
        repository,
        InvalidInput,
        handlers.record_death,
        worker.id,
        death(**overrides),
        NOW,
        TODAY,
    )
    assert field in problem.details


def test_a_death_at_home_after_the_return_needs_no_repatriation(uow):
    worker = returned(uow)
    record(uow, worker, country="ID", remains_repatriated=False, remains_arrive_on=None)
    assert worker.status == DECEASED and worker.remains_arrive_on is None


def test_nothing_moves_a_deceased_worker_on_and_the_nik_is_never_registered_again(uow, repository):
    nik = worker_payload()["nik"]
    worker = register(uow, nik=nik)
    record(uow, worker, country="ID", remains_repatriated=False, remains_arrive_on=None)
    later = {"returned_on": TODAY.isoformat(), "reason": "repatriated"}

    for handler, *args in (
        (handlers.record_death, worker.id, death(), NOW, TODAY),
        (handlers.withdraw_worker, worker.id, {"reason": "x"}, NOW),
        (handlers.record_return, worker.id, later, NOW, TODAY),
        (handlers.extend_contract, worker.id, {"ends_on": "2030-01-01"}, NOW),
    ):
        refused(uow, repository, TransitionRefused, handler, *args)
    again = refused(
        uow,
        repository,
        DuplicateRegistration,
        handlers.register_worker,
        worker_payload(nik=nik),
        NOW,
        TODAY,
    )
    assert "deceased" in again.message


def test_a_repatriation_is_a_return_of_its_own(uow):
    worker = departed(uow, on=TODAY - dt.timedelta(days=30))
    uow.run(
        handlers.record_return,
        worker.id,
        {"returned_on": TODAY.isoformat(), "reason": "repatriated"},
        NOW,
        TODAY,
    )
    assert worker.status == RETURNED and worker.return_reason == "repatriated"
    assert uow.published[-2]["data"]["reason"] == "repatriated"


# the other services follow registration's word ---------------------------------------------


def test_orientation_gives_back_a_deceased_workers_seat_and_refuses_another():
    trainee = Trainee(worker_id="w1", registered=True, documents_complete=True)
    trainee.learn(1, 1, "documents_verified")
    assert trainee.seat_lost_reason() is None
    trainee.learn(1, 2, DECEASED)
    assert trainee.seat_lost_reason() == DECEASED
    with pytest.raises(NotEligible) as refusal:
        trainee.refusal(None, None)
    assert refusal.value.details["reason"] == NOT_BEFORE_DEPARTURE


def test_reintegration_counts_a_returnee_who_died_as_neither_returnee_nor_prospective():
    participant = Participant(id="w1")
    participant.hear(1, 5, RETURNED, NOW)
    assert participant.kind == "returnee"
    participant.hear(1, 6, DECEASED, NOW)
    assert participant.kind is None


def test_the_documents_desk_takes_nothing_for_a_deceased_worker():
    with pytest.raises(TransitionRefused):
        ensure_accepts_documents(DECEASED, "passport")


# what an agency may have of a death --------------------------------------------------------


def test_an_agreement_for_deaths_names_its_fields_and_is_told_which_are_health_or_family_data():
    with pytest.raises(InvalidInput) as refused:
        parse_fields((c.WORKER_DIED,), None)
    (problem,) = refused.value.details["fields"]
    assert problem.startswith("worker_died: name the fields") and "died_on" in problem
    assert "(heir_names, cause: a family's personal or health data)" in problem
    fields = parse_fields((c.WORKER_DIED,), ["worker_died:died_on,country,heirs"])
    event = published(c.WORKER_DIED, agreement(fields))
    assert set(event["data"]) == {"died_on", "country", "heirs"}


def test_the_heirs_names_and_the_cause_are_given_only_when_named():
    fields = parse_fields((c.WORKER_DIED,), ["worker_died:died_on,cause,heirs,heir_names"])
    event = published(c.WORKER_DIED, agreement(fields))
    assert set(event["data"]) == {"died_on", "cause", "heirs", "heir_names"}
