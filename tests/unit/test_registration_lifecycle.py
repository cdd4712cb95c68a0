"""The lifecycle state machine: every allowed and every refused transition."""

import datetime as dt

import pytest

from pmi_common.errors import TransitionRefused
from services.registration.domain import (
    CLEARED,
    DECEASED,
    DEPARTED,
    DOCUMENTS_VERIFIED,
    IN_REINTEGRATION,
    ORIENTATION_COMPLETED,
    PRE_DEPARTURE,
    REGISTERED,
    REINTEGRATED,
    RETURNED,
    STAGE,
    WITHDRAWN,
    Worker,
    may_register_again,
)

ALL = (*PRE_DEPARTURE, DEPARTED, RETURNED, IN_REINTEGRATION, REINTEGRATED, WITHDRAWN, DECEASED)


def at(status: str) -> Worker:
    """A worker in ``status`` with the facts that status implies."""
    facts = {
        REGISTERED: {},
        DOCUMENTS_VERIFIED: {"documents_complete": True, "documents_sequence": 1},
        ORIENTATION_COMPLETED: {
            "documents_complete": True,
            "documents_sequence": 1,
            "orientation_completed": True,
        },
    }
    full = {
        "documents_complete": True,
        "documents_sequence": 1,
        "orientation_completed": True,
        "bpjs_number": "12345678901",
    }
    return Worker(status=status, **facts.get(status, full))


def path(lifecycle: Worker) -> list[tuple[str | None, str]]:
    return [(c.from_status, c.to_status) for c in lifecycle.changes]


COMMANDS = {
    "depart": lambda lc: lc.depart(dt.date(2027, 1, 4), "Hsin Yi Care", "TW"),
    "return": lambda lc: lc.return_home(dt.date(2029, 1, 4), "contract_ended"),
    "withdraw": lambda lc: lc.withdraw("changed my mind"),
    "die": lambda lc: lc.die(dt.date(2029, 1, 4), "TW", "illness", True, None, []),
    "extend": lambda lc: lc.extend_contract(dt.date(2030, 1, 4)),
}
ALLOWED_COMMANDS = {
    ("depart", CLEARED): DEPARTED,
    ("return", DEPARTED): RETURNED,
    ("extend", DEPARTED): DEPARTED,
    **{("withdraw", status): WITHDRAWN for status in PRE_DEPARTURE},
    **{("die", status): DECEASED for status in ALL if status != DECEASED},
}


@pytest.mark.parametrize("command,status", [(c, s) for c in COMMANDS for s in ALL])
def test_each_command_is_allowed_exactly_from_its_gate(command, status):
    lifecycle = at(status)
    expected = ALLOWED_COMMANDS.get((command, status))
    if expected is None:
        with pytest.raises(TransitionRefused) as refused:
            COMMANDS[command](lifecycle)
        assert status in refused.value.message
        assert lifecycle.status == status and lifecycle.changes == []
    else:
        COMMANDS[command](lifecycle)
        assert path(lifecycle) == ([(status, expected)] if expected != status else [])


def test_departure_refusal_lists_every_missing_gate():
    with pytest.raises(TransitionRefused) as refused:
        Worker(status=REGISTERED).depart(dt.date(2027, 1, 4), "Hsin Yi Care", "TW")
    assert refused.value.details["missing"] == [
        "documents_verified",
        "orientation_completed",
        "bpjs_number",
    ]


def test_facts_in_order_walk_every_pre_departure_gate():
    lifecycle = Worker()
    lifecycle.documents_changed(True, 1, "documents_completed")
    lifecycle.orientation_done("orientation_completed")
    lifecycle.bpjs_recorded("12345678901")
    assert path(lifecycle) == [
        (REGISTERED, DOCUMENTS_VERIFIED),
        (DOCUMENTS_VERIFIED, ORIENTATION_COMPLETED),
        (ORIENTATION_COMPLETED, CLEARED),
    ]


def test_orientation_arriving_before_documents_is_applied_in_order():
    lifecycle = Worker()
    lifecycle.bpjs_recorded("12345678901")
    lifecycle.orientation_done("orientation_completed")
    assert lifecycle.status == REGISTERED
    lifecycle.documents_changed(True, 3, "documents_completed")
    assert path(lifecycle) == [
        (REGISTERED, DOCUMENTS_VERIFIED),
        (DOCUMENTS_VERIFIED, ORIENTATION_COMPLETED),
        (ORIENTATION_COMPLETED, CLEARED),
    ]


@pytest.mark.parametrize("status", [DOCUMENTS_VERIFIED, ORIENTATION_COMPLETED, CLEARED])
def test_a_rejected_document_before_departure_takes_the_worker_back_to_registered(status):
    lifecycle = at(status)
    lifecycle.documents_changed(False, 2, "document_rejected:passport")
    assert path(lifecycle) == [(status, REGISTERED)]
    assert lifecycle.changes[0].reason == "document_rejected:passport"


@pytest.mark.parametrize(
    "status", [DEPARTED, RETURNED, IN_REINTEGRATION, REINTEGRATED, WITHDRAWN, DECEASED]
)
def test_a_document_expiring_after_pre_departure_moves_nothing(status):
    lifecycle = at(status)
    lifecycle.documents_changed(False, 2, "document_expired:passport")
    assert lifecycle.status == status and lifecycle.changes == []


def test_an_older_documents_event_than_the_last_applied_changes_nothing():
    lifecycle = Worker()
    lifecycle.documents_changed(True, 9, "documents_completed")
    lifecycle.documents_changed(False, 4, "document_rejected:passport")
    assert lifecycle.status == DOCUMENTS_VERIFIED and lifecycle.documents_complete


def test_regaining_documents_after_regression_returns_to_the_furthest_gate():
    lifecycle = at(CLEARED)
    lifecycle.documents_changed(False, 2, "document_expired:work_visa")
    lifecycle.documents_changed(True, 3, "documents_completed")
    assert path(lifecycle)[-1] == (ORIENTATION_COMPLETED, CLEARED)


@pytest.mark.parametrize(
    "status,moves",
    [
        (RETURNED, True),
        (REGISTERED, False),
        (CLEARED, False),
        (DEPARTED, False),
        (IN_REINTEGRATION, False),
        (REINTEGRATED, False),
        (WITHDRAWN, False),
        (DECEASED, False),
    ],
)
def test_only_a_returnee_enrolling_in_reintegration_changes_status(status, moves):
    lifecycle = at(status)
    assert lifecycle.reintegration_enrolled() is moves
    assert path(lifecycle) == ([(RETURNED, IN_REINTEGRATION)] if moves else [])


@pytest.mark.parametrize(
    "status,expected",
    [
        (IN_REINTEGRATION, [(IN_REINTEGRATION, REINTEGRATED)]),
        (RETURNED, [(RETURNED, IN_REINTEGRATION), (IN_REINTEGRATION, REINTEGRATED)]),
        (REGISTERED, []),
        (DEPARTED, []),
        (REINTEGRATED, []),
        (DECEASED, []),
    ],
)
def test_completing_reintegration_moves_only_returnees(status, expected):
    lifecycle = at(status)
    lifecycle.reintegration_completed()
    assert path(lifecycle) == expected


@pytest.mark.parametrize("status", ALL)
def test_a_person_may_register_again_only_after_the_cycle_ended(status):
    assert may_register_again(status) is (
        status in (RETURNED, IN_REINTEGRATION, REINTEGRATED, WITHDRAWN)
    )


def test_every_status_has_a_stage():
    assert set(STAGE) == set(ALL)
    assert STAGE[DEPARTED] == "abroad" and STAGE[RETURNED] == "return"
    assert STAGE[DECEASED] == "deceased"


# documents valid through the departure ------------------------------------------------------

TODAY = dt.date(2027, 1, 4)


def cleared(valid_until: dt.date, today: dt.date) -> Worker:
    lifecycle = Worker()
    lifecycle.documents_changed(
        True, 5, "documents_completed", valid_until=valid_until, today=today
    )
    lifecycle.orientation_done("orientation_completed", today=today)
    lifecycle.bpjs_recorded("12345678901", today=today)
    return lifecycle


def test_a_document_expiring_before_the_departure_date_refuses_the_departure():
    lifecycle = cleared(valid_until=dt.date(2027, 2, 28), today=TODAY)
    assert lifecycle.status == CLEARED

    with pytest.raises(TransitionRefused) as refused:
        lifecycle.depart(dt.date(2027, 3, 1), "Hsin Yi Care", "TW", today=TODAY)

    assert "2027-02-28" in refused.value.message
    assert refused.value.details["documents_valid_until"] == "2027-02-28"
    assert lifecycle.status == CLEARED
    # valid through its expiry day
    lifecycle.depart(dt.date(2027, 2, 28), "Hsin Yi Care", "TW", today=TODAY)
    assert lifecycle.status == DEPARTED


def test_documents_that_lapsed_by_today_block_clearance():
    lifecycle = cleared(valid_until=dt.date(2027, 1, 3), today=TODAY)

    assert lifecycle.status == REGISTERED
    assert "documents_valid" in lifecycle.missing_for_clearance(TODAY)


def test_a_renewed_set_clears_again_and_an_incomplete_one_forgets_its_expiry():
    lifecycle = cleared(valid_until=dt.date(2027, 1, 3), today=TODAY)
    lifecycle.documents_changed(False, 6, "document_submitted:passport", today=TODAY)
    assert lifecycle.documents_valid_until is None
    lifecycle.documents_changed(
        True, 8, "documents_completed", valid_until=dt.date(2030, 1, 1), today=TODAY
    )
    assert lifecycle.status == CLEARED
