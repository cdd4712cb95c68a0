"""Reintegration rules without I/O: who a worker is to a programme, who may join, the funnel."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmi_common import contract as c
from pmi_common.errors import (
    AlreadyDecided,
    CapacityReached,
    InvalidInput,
    NotEligible,
    NotFound,
)
from services.reintegration.domain import (
    Participant,
    Programme,
    Round,
    RoundResult,
    Worker,
    due_home_note,
    follow_up_due_on,
    funnel_problems,
)

TODAY = dt.date(2026, 3, 1)
NOW = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
PAK_CAMAT = (Round("business model canvas", 75), Round("business plan", 50), Round("pitch", 3))


def programme(audience="both", capacity=100, enrolled=0, starts_on=TODAY, rounds=PAK_CAMAT):
    return Programme(
        audience=audience, capacity=capacity, starts_on=starts_on, rounds=rounds, enrolled=enrolled
    )


def worker(*facts) -> Worker:
    """Facts as (cycle, sequence, event type, to_status for status changes)."""
    known = Worker()
    for cycle, sequence, event_type, *to_status in facts:
        if event_type == c.WORKER_REGISTERED:
            known.hear_registration(cycle, sequence, NOW, "Siti", "Blitar")
        elif event_type == c.WORKER_RETURNED:
            known.hear_return(cycle, sequence, NOW, TODAY)
        else:
            known.hear(cycle, sequence, to_status[0], NOW)
    return known


def participant(**advanced) -> Participant:
    """A participant with these round results (``r1=True``: advanced in round 1)."""
    return Participant(
        results=[RoundResult(int(name[1:]), value) for name, value in advanced.items()]
    )


REGISTERED = (1, 1, c.WORKER_REGISTERED)
DEPARTED = (1, 8, c.WORKER_STATUS_CHANGED, "departed")
RETURNED = (1, 10, c.WORKER_RETURNED)
RETURNED_STATUS = (1, 11, c.WORKER_STATUS_CHANGED, "returned")
REGISTERED_AGAIN = (2, 20, c.WORKER_REGISTERED)


# who a worker is ----------------------------------------------------------------------------


def test_a_registered_worker_is_prospective_and_a_returned_one_a_returnee():
    assert worker(REGISTERED).kind == "prospective"
    assert worker(REGISTERED, DEPARTED, RETURNED).kind == "returnee"


def test_a_worker_abroad_is_neither():
    assert worker(REGISTERED, DEPARTED).kind is None


def test_a_candidate_who_withdrew_is_still_prospective():
    assert worker(REGISTERED, (1, 3, c.WORKER_STATUS_CHANGED, "withdrawn")).kind == "prospective"


def test_a_return_known_before_the_registration_still_makes_a_returnee():
    assert worker(RETURNED, REGISTERED, DEPARTED).kind == "returnee"


def test_registering_again_makes_a_returnee_prospective_whatever_the_order():
    assert worker(REGISTERED, RETURNED, REGISTERED_AGAIN).kind == "prospective"
    assert worker(REGISTERED_AGAIN, RETURNED, RETURNED_STATUS).kind == "prospective"


@given(
    st.permutations(
        [
            REGISTERED,
            DEPARTED,
            RETURNED,
            RETURNED_STATUS,
            (1, 12, c.WORKER_STATUS_CHANGED, "in_reintegration"),
            REGISTERED_AGAIN,
            (2, 21, c.WORKER_STATUS_CHANGED, "registered"),
        ]
    )
)
def test_the_newest_fact_wins_in_any_order_of_arrival(facts):
    known = worker(*facts)
    assert (known.cycle, known.status, known.kind) == (2, "registered", "prospective")


# who may enrol ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "audience, facts, kind",
    [
        ("prospective", (REGISTERED,), "prospective"),
        ("returnee", (REGISTERED, RETURNED), "returnee"),
        ("both", (REGISTERED,), "prospective"),
        ("both", (REGISTERED, RETURNED), "returnee"),
    ],
)
def test_a_worker_joins_a_programme_for_their_audience_as_their_kind(audience, facts, kind):
    assert programme(audience).enrol(worker(*facts), TODAY, already_enrolled=False) == kind


@pytest.mark.parametrize(
    "audience, facts",
    [
        ("prospective", (REGISTERED, RETURNED)),
        ("returnee", (REGISTERED,)),
    ],
)
def test_a_worker_of_the_other_audience_is_refused_with_the_reason(audience, facts):
    with pytest.raises(NotEligible) as refused:
        programme(audience).enrol(worker(*facts), TODAY, already_enrolled=False)
    assert refused.value.details["reason"] == "wrong_audience"
    assert audience in str(refused.value)


def test_a_withdrawn_candidate_joins_a_programme_for_prospective_workers_but_not_for_returnees():
    withdrawn = worker(REGISTERED, (1, 2, c.WORKER_STATUS_CHANGED, "withdrawn"))
    assert programme("prospective").enrol(withdrawn, TODAY, already_enrolled=False) == "prospective"
    with pytest.raises(NotEligible) as refused:
        programme("returnee").enrol(withdrawn, TODAY, already_enrolled=False)
    assert refused.value.details["reason"] == "wrong_audience"


def test_a_worker_abroad_is_not_a_participant():
    abroad = worker(REGISTERED, DEPARTED)
    with pytest.raises(NotEligible) as refused:
        programme("both").enrol(abroad, TODAY, already_enrolled=False)
    assert refused.value.details == {"reason": "not_prospective_or_returnee", "status": "departed"}


def test_an_unknown_worker_is_not_found():
    with pytest.raises(NotFound):
        programme().enrol(None, TODAY, already_enrolled=False)


def test_enrolling_twice_is_refused():
    with pytest.raises(NotEligible) as refused:
        programme().enrol(worker(REGISTERED), TODAY, already_enrolled=True)
    assert refused.value.details["reason"] == "already_enrolled"


def test_a_full_programme_refuses_and_is_no_longer_open():
    full = programme(capacity=2, enrolled=2, rounds=(Round("pitch", 1),))
    with pytest.raises(CapacityReached):
        full.enrol(worker(REGISTERED), TODAY, already_enrolled=False)
    assert (full.seats_left, full.status(TODAY), full.is_open(TODAY)) == (0, "full", False)


def test_a_programme_that_has_started_takes_nobody_new():
    started = programme(starts_on=TODAY - dt.timedelta(days=1))
    assert started.status(TODAY) == "started"
    with pytest.raises(NotEligible) as refused:
        started.enrol(worker(REGISTERED), TODAY, already_enrolled=False)
    assert refused.value.details["reason"] == "programme_started"


def test_a_programme_starting_today_is_still_open():
    assert programme(starts_on=TODAY).is_open(TODAY)


# the funnel ---------------------------------------------------------------------------------


def test_the_2022_pak_camat_funnel_is_valid():
    assert funnel_problems(100, [75, 50, 3]) == []


@pytest.mark.parametrize(
    "capacity, advances, problem",
    [
        (100, [], "at least one round"),
        (100, [75, 75, 3], "fewer participants than the round before"),
        (100, [50, 75], "fewer participants than the round before"),
        (100, [120, 50], "more than the capacity"),
        (100, [75, 0], "at least 1"),
    ],
)
def test_rounds_that_do_not_narrow_are_refused(capacity, advances, problem):
    assert any(problem in text for text in funnel_problems(capacity, advances))


def test_round_two_needs_having_advanced_in_round_one():
    participation = Participant()
    with pytest.raises(NotEligible):
        participation.check_round(programme(), 2, True, 0)
    participation.record(1, False)
    with pytest.raises(NotEligible):
        participation.check_round(programme(), 2, True, 0)


def test_a_round_advances_no_more_than_it_allows_but_may_still_record_who_did_not():
    small = programme(rounds=(Round("canvas", 2), Round("pitch", 1)))
    with pytest.raises(CapacityReached) as refused:
        Participant().check_round(small, 1, True, advanced_so_far=2)
    assert refused.value.details == {"round": 1, "advance": 2}
    Participant().check_round(small, 1, False, advanced_so_far=2)


def test_a_round_result_is_recorded_once():
    participation = Participant()
    participation.record(1, True)
    with pytest.raises(AlreadyDecided):
        participation.check_round(programme(), 1, False, 0)


def test_a_round_that_does_not_exist_is_invalid_input():
    with pytest.raises(InvalidInput) as refused:
        Participant().check_round(programme(), 4, True, 0)
    assert "round" in refused.value.details


def test_those_who_advance_in_the_last_round_are_awarded():
    participation = Participant()
    for number in (1, 2, 3):
        participation.record(number, True)
    assert participation.is_awardee(programme())
    stopped = participant(r1=True, r2=True, r3=False)
    assert not stopped.is_awardee(programme())


def test_a_participant_who_left_the_funnel_completes_once_and_then_records_no_rounds():
    participation = participant(r1=False)
    participation.complete()
    with pytest.raises(AlreadyDecided):
        participation.complete()
    with pytest.raises(NotEligible):
        participation.check_round(programme(), 1, True, 0)


def test_the_note_beside_a_due_home_invitation_is_in_bahasa_indonesia_first_then_english():
    note = due_home_note(dt.date(2027, 5, 31))
    indonesian, english = note.split(" / ")
    assert indonesian.startswith("Kontrak kerja berakhir pada 2027-05-31")
    assert english.startswith("The contract ends on 2027-05-31")


# follow-ups of a business started ------------------------------------------------------------


def completed(business_started=True, at=NOW) -> Participant:
    participation = participant(r1=True)
    participation.complete(at, business_started=business_started)
    return participation


def test_a_follow_up_is_due_six_and_twelve_months_after_the_completion_in_the_districts_days():
    # 31 August, 20:00 UTC is 1 September in Blitar; the month has no 31st six months on
    assert follow_up_due_on(dt.datetime(2026, 8, 31, 20, tzinfo=dt.UTC), 6) == dt.date(2027, 3, 1)
    assert follow_up_due_on(dt.datetime(2026, 8, 30, 9, tzinfo=dt.UTC), 6) == dt.date(2027, 2, 28)
    assert follow_up_due_on(NOW, 12) == dt.date(2027, 3, 1)


def test_a_business_is_followed_up_once_at_each_of_six_and_twelve_months_from_its_due_day():
    participation = completed()
    with pytest.raises(NotEligible) as early:
        participation.follow_up(6, True, "1m_to_3m", False, dt.date(2026, 8, 31))
    assert early.value.details == {"reason": "follow_up_not_due", "due_on": "2026-09-01"}
    done = participation.follow_up(6, True, "1m_to_3m", False, dt.date(2026, 9, 1))
    assert (done.months, done.business_running, done.income_band) == (6, True, "1m_to_3m")
    with pytest.raises(AlreadyDecided):
        participation.follow_up(6, False, "none", True, dt.date(2026, 10, 1))
    participation.follow_up(12, False, "none", True, dt.date(2027, 3, 1))
    assert [f.months for f in participation.follow_ups] == [6, 12]
    with pytest.raises(InvalidInput):
        participation.follow_up(9, True, "none", False, dt.date(2027, 3, 1))


def test_only_a_completion_with_a_business_started_is_followed_up():
    later = dt.date(2028, 1, 1)
    with pytest.raises(NotEligible) as refused:
        participant(r1=True).follow_up(6, True, "none", False, later)
    assert refused.value.details["reason"] == "not_completed"
    with pytest.raises(NotEligible) as refused:
        completed(business_started=False).follow_up(6, True, "none", False, later)
    assert refused.value.details["reason"] == "no_business"
