"""Orientation rules without I/O: eligibility, seats, check-in, identity and certificates."""

import datetime as dt
import secrets

import pytest

from pmi_common.errors import CapacityReached, NotEligible, TransitionRefused
from pmi_common.identity import nik_digest
from services.orientation.domain import (
    ALREADY_COMPLETED,
    ALREADY_ENROLLED,
    DOCUMENTS_NO_LONGER_COMPLETE,
    DOCUMENTS_NOT_VERIFIED,
    NOT_BEFORE_DEPARTURE,
    NOT_REGISTERED,
    Sitting,
    Trainee,
    certificate_number,
    is_certificate_number,
    same_identity,
)

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
TOMORROW = NOW + dt.timedelta(days=1)


def eligible() -> Trainee:
    trainee = Trainee(worker_id="w1", registered=True)
    trainee.learn(cycle=1, sequence=1, status="registered")
    trainee.documents_changed(True, sequence=9)
    return trainee


def reason_refusing(trainee: Trainee, held: str | None = None, certificate: str | None = None):
    with pytest.raises(NotEligible) as refused:
        trainee.refusal(held, certificate)
    return refused.value.details["reason"]


# eligibility --------------------------------------------------------------------------------


def test_a_registered_worker_with_verified_documents_may_take_a_seat():
    eligible().refusal(None, None)


def test_enrolment_refused_until_documents_verified():
    trainee = Trainee(worker_id="w1", registered=True, status="registered", sequence=1, cycle=1)
    assert reason_refusing(trainee) == DOCUMENTS_NOT_VERIFIED


def test_enrolment_refused_for_a_worker_whose_registration_has_not_arrived():
    trainee = Trainee(worker_id="w1")
    trainee.documents_changed(True, sequence=3)
    assert reason_refusing(trainee) == NOT_REGISTERED


def test_enrolment_refused_while_holding_a_seat_or_after_completing():
    assert reason_refusing(eligible(), held="s1") == ALREADY_ENROLLED
    assert reason_refusing(eligible(), certificate="OPP-x") == ALREADY_COMPLETED


@pytest.mark.parametrize("status", ["withdrawn", "departed", "returned"])
def test_enrolment_refused_once_the_worker_is_no_longer_before_departure(status):
    trainee = eligible()
    trainee.learn(cycle=1, sequence=5, status=status)
    assert reason_refusing(trainee) == NOT_BEFORE_DEPARTURE


def test_eligibility_follows_the_latest_documents_event_whatever_the_arrival_order():
    trainee = eligible()  # documents complete as of sequence 9
    trainee.documents_changed(False, sequence=4)  # an older rejection arrives late
    assert trainee.documents_complete
    trainee.documents_changed(False, sequence=12)  # a newer expiry
    assert not trainee.documents_complete
    assert trainee.seat_lost_reason() == DOCUMENTS_NO_LONGER_COMPLETE


def test_an_older_status_change_does_not_undo_a_newer_one():
    trainee = eligible()
    trainee.learn(cycle=1, sequence=6, status="withdrawn")
    trainee.learn(cycle=1, sequence=3, status="documents_verified")
    assert trainee.status == "withdrawn"
    assert trainee.seat_lost_reason() == "withdrawn"


def test_a_new_cycle_is_recognised_once():
    trainee = eligible()
    assert trainee.learn(cycle=2, sequence=8, status="registered")
    assert not trainee.learn(cycle=2, sequence=7, status="registered")
    assert trainee.cycle == 2 and trainee.status == "registered"


def test_an_eligible_worker_keeps_the_seat():
    assert eligible().seat_lost_reason() is None


# seats --------------------------------------------------------------------------------------


def test_seats_are_taken_until_the_session_is_full():
    seats = Sitting(id="s1", starts_at=TOMORROW, capacity=2)
    seats.take_seat(NOW)
    seats.take_seat(NOW)
    assert seats.seats_left == 0
    with pytest.raises(CapacityReached) as full:
        seats.take_seat(NOW)
    assert full.value.details["next_session"] is None
    assert seats.enrolled == 2


def test_past_and_cancelled_sessions_take_no_enrolments():
    with pytest.raises(TransitionRefused):
        Sitting(id="s1", starts_at=NOW, capacity=5).take_seat(NOW)
    cancelled = Sitting(id="s1", starts_at=TOMORROW, capacity=5)
    cancelled.cancel(NOW)
    assert cancelled.seats_left == 0
    with pytest.raises(TransitionRefused):
        cancelled.take_seat(NOW)


def test_a_started_or_cancelled_session_cannot_be_cancelled():
    with pytest.raises(TransitionRefused):
        Sitting(id="s1", starts_at=NOW - dt.timedelta(minutes=1), capacity=5).cancel(NOW)
    seats = Sitting(id="s1", starts_at=TOMORROW, capacity=5, enrolled=3)
    seats.cancel(NOW)
    assert seats.enrolled == 0
    with pytest.raises(TransitionRefused):
        seats.cancel(NOW)


@pytest.mark.parametrize(
    "offset,open_",
    [
        (dt.timedelta(hours=-3), False),
        (dt.timedelta(hours=-2), True),
        (dt.timedelta(0), True),
        (dt.timedelta(hours=11, minutes=59), True),
        (dt.timedelta(hours=12), False),
    ],
)
def test_attendance_is_taken_at_the_session_only(offset, open_):
    seats = Sitting(id="s1", starts_at=TOMORROW, capacity=5, enrolled=1)
    if open_:
        seats.check_in_open(TOMORROW + offset)
    else:
        with pytest.raises(TransitionRefused):
            seats.check_in_open(TOMORROW + offset)


# identity and certificates ------------------------------------------------------------------


def test_identity_is_compared_by_digest():
    stored = nik_digest("3505125703940001")
    assert same_identity(stored, nik_digest("3505125703940001"))
    assert not same_identity(stored, nik_digest("3505125703940002"))
    assert not same_identity(None, nik_digest("3505125703940001"))


def test_certificate_numbers_are_random_and_carry_a_check_character():
    numbers = {certificate_number(2026, secrets.token_bytes(8)) for _ in range(200)}
    assert len(numbers) == 200
    assert all(is_certificate_number(n) and n.startswith("OPP-2026-") for n in numbers)


def test_a_mistyped_certificate_number_is_recognised_as_such():
    number = certificate_number(2026, bytes(range(1, 9)))
    body = number[9:]
    replaced = "1" if body[0] != "1" else "2"
    swapped = body[1] + body[0] + body[2:] if body[0] != body[1] else replaced + body[1:]
    for typo in (
        f"OPP-2026-{replaced}{body[1:]}",
        f"OPP-2026-{swapped}",
        number.replace("2026", "2027"),
        number[:-1],
        "OPP-2026-xxxxx-xxxxx-x",
        "",
    ):
        assert not is_certificate_number(typo), typo


def test_a_trainer_is_stopped_at_the_third_wrong_nik_until_it_leaves_the_window():
    from pmi_common.errors import TooManyAttempts
    from services.orientation.domain import ensure_not_stopped, stopped_until

    now = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)
    wrong = [now - dt.timedelta(hours=5), now - dt.timedelta(hours=1)]
    assert stopped_until(wrong) is None
    ensure_not_stopped(wrong, now)
    wrong.append(now)
    assert stopped_until(wrong) == now + dt.timedelta(hours=19)
    with pytest.raises(TooManyAttempts) as stopped:
        ensure_not_stopped(wrong, now)
    assert stopped.value.details == {"retry_after": 19 * 3600, "wrong_niks": 3}
    ensure_not_stopped(wrong, now + dt.timedelta(hours=19))  # the oldest left the window
