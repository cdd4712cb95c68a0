"""One contract for the reintegration repository, checked against the in-memory fake the handler
tests use and the real one on PostgreSQL: what each method stores, finds, orders and counts."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest

from services.reintegration.domain import Participant, Programme, Round, Worker
from services.reintegration.repository import ReintegrationRepository
from tests.helpers import Kept, kept_on
from tests.unit.fakes.reintegration import FakeReintegrationRepository

TODAY = dt.date(2026, 3, 1)
NOW = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
FUNNEL = (Round("canvas", 2), Round("pitch", 1))


@pytest.fixture(params=["fake", "postgresql"])
def kept(request) -> Iterator[Kept]:
    yield from kept_on(
        request, FakeReintegrationRepository, ReintegrationRepository, "reintegration"
    )


def programme(
    kept: Kept, *, audience="both", capacity=10, starts_on=TODAY, enrolled=0, rounds=FUNNEL
) -> Programme:
    made = Programme(
        id=str(uuid.uuid4()),
        name=f"{audience} from {starts_on}",
        audience=audience,
        capacity=capacity,
        starts_on=starts_on,
        rounds=rounds,
        enrolled=enrolled,
        created_at=NOW,
    )
    kept.repository.add_programme(made)
    return made


def participant(
    kept: Kept, of: Programme, worker_id: str | None = None, kind="prospective", at=NOW
) -> Participant:
    made = Participant(
        programme=of,
        program_id=of.id,
        worker_id=worker_id or str(uuid.uuid4()),
        participant_kind=kind,
        enrolled_at=at,
    )
    kept.repository.add_participant(made)
    return made


# programmes --------------------------------------------------------------------------------


def test_a_programme_is_kept_with_its_rounds_and_found_by_id(kept):
    made = programme(kept)
    kept.again()

    for found in (kept.repository.get_programme(made.id), kept.repository.lock_programme(made.id)):
        assert (
            found.id,
            found.name,
            found.audience,
            found.capacity,
            found.starts_on,
            found.rounds,
            found.enrolled,
            found.created_at,
        ) == (made.id, "both from 2026-03-01", "both", 10, TODAY, FUNNEL, 0, NOW)
    for unknown in (str(uuid.uuid4()), "not-an-id"):
        assert kept.repository.get_programme(unknown) is None
        assert kept.repository.lock_programme(unknown) is None


def test_a_seat_taken_is_kept(kept):
    made = programme(kept)
    kept.repository.lock_programme(made.id).enrolled += 1
    kept.again()
    assert kept.repository.get_programme(made.id).enrolled == 1


def test_programmes_are_listed_by_start_date_then_id_after_a_cursor(kept):
    made = [programme(kept, starts_on=TODAY + dt.timedelta(days=n % 3)) for n in range(6)]
    order = sorted(made, key=lambda p: (p.starts_on, p.id))
    kept.again()

    def listed(**filters):
        options = {"open_on": None, "audiences": None, "after": None, "limit": 50, **filters}
        return [p.id for p in kept.repository.list_programmes(**options)]

    assert listed() == [p.id for p in order]
    assert listed(limit=2) == [p.id for p in order[:2]]
    assert listed(after=(order[2].starts_on, order[2].id)) == [p.id for p in order[3:]]


def test_the_list_keeps_the_audiences_asked_for_and_what_is_open_on_a_day(kept):
    returnee = programme(kept, audience="returnee")
    both = programme(kept, audience="both")
    prospective = programme(kept, audience="prospective", starts_on=TODAY + dt.timedelta(days=1))
    started = programme(kept, audience="both", starts_on=TODAY - dt.timedelta(days=1))
    full = programme(kept, audience="both", capacity=2, enrolled=2)
    kept.again()

    def listed(**filters):
        options = {"open_on": None, "audiences": None, "after": None, "limit": 50, **filters}
        return {p.id for p in kept.repository.list_programmes(**options)}

    assert listed(audiences=("returnee", "both")) == {returnee.id, both.id, started.id, full.id}
    assert listed(open_on=TODAY) == {returnee.id, both.id, prospective.id}
    assert listed(open_on=TODAY, audiences=("prospective",)) == {prospective.id}


def test_open_programmes_for_a_worker_leave_out_those_joined(kept):
    joined = programme(kept, audience="returnee")
    waiting = programme(kept, audience="both", starts_on=TODAY + dt.timedelta(days=2))
    programme(kept, audience="prospective")
    programme(kept, audience="returnee", starts_on=TODAY - dt.timedelta(days=1))
    worker_id = str(uuid.uuid4())
    participant(kept, joined, worker_id, kind="returnee")
    kept.again()

    found = kept.repository.open_programmes_for(worker_id, ("returnee", "both"), TODAY, 50)
    assert [p.id for p in found] == [waiting.id]
    assert kept.repository.open_programmes_for(worker_id, ("returnee", "both"), TODAY, 0) == []


# participants ------------------------------------------------------------------------------


def test_a_participant_is_kept_with_its_programme_results_and_outcome(kept):
    made = programme(kept)
    worker_id = str(uuid.uuid4())
    joined = participant(kept, made, worker_id)
    joined.record(1, True, score=72.5, note="clear", at=NOW)
    joined.record(2, True, at=NOW)
    joined.complete(
        NOW, business_started=True, business_name="Keripik", sector="food", regency="Blitar"
    )
    kept.again()

    found = kept.repository.find_participant(made.id, worker_id)
    assert (
        found.worker_id,
        found.participant_kind,
        found.status,
        found.enrolled_at,
        found.awarded,
        found.completed_at,
        found.business_started,
        found.business_name,
        found.sector,
        found.regency,
    ) == (worker_id, "prospective", "completed", NOW, True, NOW, True, "Keripik", "food", "Blitar")
    assert found.programme.id == made.id and found.program_id == made.id
    assert [
        (r.round, r.advanced, r.score, r.note, r.recorded_at, r.program_id) for r in found.results
    ] == [(1, True, 72.5, "clear", NOW, made.id), (2, True, None, None, NOW, made.id)]
    assert kept.repository.find_participant(made.id, str(uuid.uuid4())) is None
    assert kept.repository.find_participant(programme(kept).id, worker_id) is None


def test_a_workers_participations_come_in_the_order_they_were_recorded(kept):
    worker_id = str(uuid.uuid4())
    first, second = programme(kept), programme(kept)
    participant(kept, second, worker_id)
    participant(kept, first, worker_id, kind="returnee")
    participant(kept, first)
    kept.again()

    found = kept.repository.participations_of(worker_id)
    assert [(p.program_id, p.participant_kind) for p in found] == [
        (second.id, "prospective"),
        (first.id, "returnee"),
    ]
    found[0].reclassify(NOW)
    kept.again()
    assert [p.participant_kind for p in kept.repository.participations_of(worker_id)] == [
        "returnee",
        "returnee",
    ]


def test_those_advanced_in_a_round_are_counted_per_programme(kept):
    made, other = programme(kept, capacity=10), programme(kept)
    for advanced in (True, True, False):
        participant(kept, made).record(1, advanced, at=NOW)
    participant(kept, other).record(1, True, at=NOW)
    kept.again()

    assert kept.repository.count_advanced(made.id, 1) == 2
    assert kept.repository.count_advanced(made.id, 2) == 0
    assert kept.repository.count_advanced(other.id, 1) == 1


# workers -----------------------------------------------------------------------------------


def test_a_worker_is_kept_on_first_lock_and_what_it_learns_is_stored(kept):
    worker_id = str(uuid.uuid4())
    assert kept.repository.get_worker(worker_id) is None

    new = kept.repository.lock_worker(worker_id, NOW)
    assert (new.id, new.cycle, new.sequence, new.status, new.updated_at, new.known) == (
        worker_id,
        0,
        0,
        None,
        NOW,
        False,
    )
    new.hear_registration(1, 1, NOW, "Siti", "Blitar")
    new.hear_return(1, 10, NOW + dt.timedelta(days=1), TODAY)
    kept.again()

    again = kept.repository.lock_worker(worker_id, NOW + dt.timedelta(days=9))
    assert isinstance(again, Worker)
    assert (
        again.cycle,
        again.sequence,
        again.status,
        again.returned_cycle,
        again.returned_on,
        again.full_name,
        again.regency,
        again.updated_at,
        again.kind,
    ) == (1, 10, "returned", 1, TODAY, "Siti", "Blitar", NOW + dt.timedelta(days=1), "returnee")
    assert kept.repository.get_worker(worker_id).full_name == "Siti"
    assert kept.repository.get_worker("not-an-id") is None


# figures -----------------------------------------------------------------------------------


def test_the_figures_of_a_programme_and_of_all(kept):
    made = programme(kept, enrolled=3)
    siti, ani = participant(kept, made, kind="returnee"), participant(kept, made)
    participant(kept, made, kind="returnee")
    siti.record(1, True, at=NOW)
    siti.record(2, True, at=NOW)
    ani.record(1, False, at=NOW)
    siti.complete(
        NOW, business_started=True, business_name="Keripik", sector="food", regency="Blitar"
    )
    ani.complete(NOW, business_started=False)
    programme(kept)
    kept.again()

    assert kept.repository.program_stats(kept.repository.get_programme(made.id)) == {
        "program_id": made.id,
        "enrolled": 3,
        "rounds": [
            {"name": "canvas", "advance": 2, "recorded": 2, "advanced": 1},
            {"name": "pitch", "advance": 1, "recorded": 1, "advanced": 1},
        ],
        "completed": 2,
        "businesses_started": 1,
        "awarded": 1,
    }
    assert kept.repository.stats() == {
        "programs": 2,
        "participants": 3,
        "returnees_enrolled": 2,
        "returnees_with_business": 1,
    }


def test_the_workers_of_a_batch_are_held_at_once(kept):
    """``hold_workers`` locks every worker a batch speaks of, keeping the unknown ones blank;
    ``lock_worker`` then gives the same objects."""
    known, unknown = str(uuid.uuid4()), str(uuid.uuid4())
    kept.repository.lock_worker(known, NOW).hear_registration(1, 1, NOW, "Siti", "Blitar")
    kept.again()
    kept.repository.hold_workers([unknown, known], NOW)
    blank = kept.repository.lock_worker(unknown, NOW + dt.timedelta(days=1))
    assert (blank.id, blank.cycle, blank.sequence, blank.status, blank.updated_at) == (
        unknown,
        0,
        0,
        None,
        NOW,
    )
    assert kept.repository.lock_worker(known, NOW).full_name == "Siti"
