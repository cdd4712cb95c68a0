"""The orientation repository's contract, held by the in-memory fake the handlers' unit tests use
and by the real one on PostgreSQL: the same calls give the same answers. Each ``unit()`` is one
transaction (committed at its end) on PostgreSQL, so what a test reads back was stored."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from pmi_common.errors import InvalidInput
from services.orientation.domain import (
    ATTENDED,
    ENROLLED,
    IDENTITY_MISMATCH,
    NIK_ATTEMPTS_EXHAUSTED,
    Completion,
    Enrolment,
    Incident,
    Sitting,
)
from services.orientation.repository import OrientationRepository
from tests.unit.fakes.orientation import FakeOrientationRepository

NOW = dt.datetime(2030, 3, 4, 1, 0, tzinfo=dt.UTC)


class Fake:
    def __init__(self):
        self.repository = FakeOrientationRepository()

    @contextmanager
    def unit(self) -> Iterator[FakeOrientationRepository]:
        yield self.repository


class Real:
    def __init__(self, url: str):
        self.engine = create_engine(url)

    @contextmanager
    def unit(self) -> Iterator[OrientationRepository]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield OrientationRepository(session)


@pytest.fixture(params=["fake", "postgresql"])
def store(request):
    if request.param == "fake":
        yield Fake()
        return
    real = Real(request.getfixturevalue("database_urls")["orientation"])
    yield real
    real.engine.dispose()


def new_sitting(days: float = 3, capacity: int = 20, **fields) -> Sitting:
    return Sitting(
        id=str(uuid.uuid4()),
        starts_at=NOW + dt.timedelta(days=days),
        location="LTSA Blitar",
        capacity=capacity,
        topics=["rights"],
        created_at=NOW,
        **fields,
    )


def sittings(store, *specs: dict) -> list[Sitting]:
    made = [new_sitting(**spec) for spec in specs]
    with store.unit() as repository:
        for sitting in made:
            repository.add_sitting(sitting)
    return made


def trainee_ids(store, count: int = 1) -> list[str]:
    ids = sorted(str(uuid.uuid4()) for _ in range(count))
    with store.unit() as repository:
        for worker_id in ids:
            repository.lock_trainee_heard_of(worker_id, NOW)
    return ids


def enrol(store, sitting: Sitting, worker_id: str, status: str = ENROLLED) -> None:
    with store.unit() as repository:
        repository.add_enrolment(
            Enrolment(sitting_id=sitting.id, worker_id=worker_id, enrolled_at=NOW, status=status)
        )


def incident(
    worker_id: str,
    sitting_id: str,
    minutes: int = 0,
    kind: str = IDENTITY_MISMATCH,
    trainer: str | None = "opp-3",
) -> Incident:
    return Incident(
        kind=kind,
        sitting_id=sitting_id,
        worker_id=worker_id,
        occurred_at=NOW + dt.timedelta(minutes=minutes),
        presented_nik_masked="350512******0002",
        presented_digest_prefix="ab12cd34ef56",
        actor_role="trainer",
        actor_subject=trainer,
        correlation_id="c-1",
    )


# sittings -----------------------------------------------------------------------------------


def test_a_sitting_is_stored_as_it_is_and_found_by_its_id_only(store):
    [sitting] = sittings(store, {"capacity": 30})
    with store.unit() as repository:
        found = repository.get_sitting(sitting.id)
        assert found == sitting and found.seats_left == 30
        assert repository.lock_sitting(sitting.id) == sitting
        for unknown in (str(uuid.uuid4()), "../etc", ""):
            assert repository.get_sitting(unknown) is None
            assert repository.lock_sitting(unknown) is None


def test_a_change_to_a_locked_sitting_is_what_is_stored(store):
    [sitting] = sittings(store, {"capacity": 2})
    with store.unit() as repository:
        repository.lock_sitting(sitting.id).take_seat(NOW)
    with store.unit() as repository:
        locked = repository.lock_sitting(sitting.id)
        assert locked.enrolled == 1
        locked.cancel(NOW, "hall flooded")
    with store.unit() as repository:
        stored = repository.get_sitting(sitting.id)
        assert (stored.status, stored.enrolled, stored.cancelled_reason) == (
            "cancelled",
            0,
            "hall flooded",
        )


def test_sittings_are_paged_by_start_then_id(store):
    made = sittings(store, {"days": 5}, {"days": 2}, {"days": 9}, {"days": 2})
    expected = [s.id for s in sorted(made, key=lambda s: (s.starts_at, s.id))]
    seen, cursor = [], None
    with store.unit() as repository:
        while True:
            items, cursor = repository.sittings_page(3, cursor)
            seen += [s.id for s in items]
            if cursor is None:
                break
        assert seen == expected
        with pytest.raises(InvalidInput) as refused:
            repository.sittings_page(3, "not-a-cursor")
        assert "cursor" in refused.value.details


def test_the_upcoming_page_holds_scheduled_future_sittings_with_seats(store):
    past, full, cancelled, open_ = sittings(
        store, {"days": -1}, {"capacity": 1}, {"days": 4}, {"days": 6}
    )
    with store.unit() as repository:
        repository.lock_sitting(full.id).take_seat(NOW)
        repository.lock_sitting(cancelled.id).cancel(NOW)
    with store.unit() as repository:
        items, cursor = repository.sittings_page(10, upcoming_at=NOW)
        assert [s.id for s in items] == [open_.id] and cursor is None
        assert len(repository.sittings_page(10)[0]) == 4
        assert repository.next_sitting_with_seats(NOW, excluding=full.id).id == open_.id
        assert repository.next_sitting_with_seats(NOW, excluding=open_.id) is None


# trainees -----------------------------------------------------------------------------------


def test_a_trainee_first_heard_of_is_recorded_blank_and_then_kept(store):
    worker_id = str(uuid.uuid4())
    with store.unit() as repository:
        assert repository.lock_trainee(worker_id) is None
        assert repository.lock_trainee("not-an-id") is None
        blank = repository.lock_trainee_heard_of(worker_id, NOW)
        assert (blank.registered, blank.cycle, blank.status, blank.sequence) == (False, 0, None, 0)
        assert (blank.documents_complete, blank.documents_sequence) == (False, 0)
        blank.documents_changed(True, sequence=4)
    with store.unit() as repository:
        assert not repository.knows_worker(worker_id)
        trainee = repository.lock_trainee_heard_of(worker_id, NOW)
        assert trainee.documents_complete and trainee.documents_sequence == 4
        trainee.registration_heard(cycle=1, sequence=7, nik_digest="d" * 64, full_name="Siti")
    with store.unit() as repository:
        assert repository.knows_worker(worker_id) and not repository.knows_worker("nobody")
        trainee = repository.lock_trainee(worker_id)
        assert (trainee.worker_id, trainee.cycle, trainee.status, trainee.sequence) == (
            worker_id,
            1,
            "registered",
            7,
        )
        assert (trainee.nik_digest, trainee.full_name) == ("d" * 64, "Siti")


# enrolments ---------------------------------------------------------------------------------


def test_an_enrolment_is_stored_and_locked_by_its_sitting_and_worker(store):
    [sitting] = sittings(store, {})
    [worker_id] = trainee_ids(store)
    enrol(store, sitting, worker_id)
    with store.unit() as repository:
        enrolment = repository.lock_enrolment(sitting.id, worker_id)
        assert (enrolment.sitting_id, enrolment.status, enrolment.enrolled_at) == (
            sitting.id,
            ENROLLED,
            NOW,
        )
        assert repository.lock_enrolment(sitting.id, str(uuid.uuid4())) is None
        enrolment.attend(NOW)
    with store.unit() as repository:
        stored = repository.lock_enrolment(sitting.id, worker_id)
        assert (stored.status, stored.attended_at) == (ATTENDED, NOW)


def test_the_seats_taken_in_a_sitting_are_locked_in_worker_order(store):
    [sitting, other] = sittings(store, {}, {})
    first, second, third = trainee_ids(store, 3)
    enrol(store, sitting, third)
    enrol(store, sitting, first)
    enrol(store, sitting, second, status="released")
    enrol(store, other, second)
    with store.unit() as repository:
        assert [e.worker_id for e in repository.lock_enrolled_in(sitting.id)] == [first, third]


def test_the_seats_a_worker_holds_are_those_still_open_by_start(store):
    later, sooner, ended, cancelled, released = sittings(
        store, {"days": 5}, {"days": 2}, {"days": -1}, {"days": 3}, {"days": 4}
    )
    [worker_id] = trainee_ids(store)
    for sitting in (later, sooner, ended, cancelled):
        enrol(store, sitting, worker_id)
    enrol(store, released, worker_id, status="released")
    with store.unit() as repository:
        repository.lock_sitting(cancelled.id).cancel(NOW)
    with store.unit() as repository:
        held = repository.seats_held(worker_id, NOW)
        assert [e.sitting_id for e in held] == [sooner.id, later.id]
        # check-in stays open twelve hours after the start: that seat is still held then
        eleven_hours_in = ended.starts_at + dt.timedelta(hours=11)
        assert [e.sitting_id for e in repository.seats_held(worker_id, eleven_hours_in)] == [
            ended.id,
            sooner.id,
            later.id,
        ]


# completions --------------------------------------------------------------------------------


def test_a_completion_is_found_by_worker_and_cycle_and_by_its_number(store):
    [sitting] = sittings(store, {})
    [worker_id] = trainee_ids(store)
    done = Completion(
        certificate_number="OPP-2030-AAAAA-BBBBB-C",
        worker_id=worker_id,
        cycle=1,
        sitting_id=sitting.id,
        holder_name="Siti",
        completed_at=NOW,
    )
    with store.unit() as repository:
        repository.add_completion(done)
    with store.unit() as repository:
        assert repository.completion_of(worker_id, 1) == done
        assert repository.completion_of(worker_id, 2) is None
        assert repository.get_completion(done.certificate_number) == done
        assert repository.get_completion("OPP-2030-00000-00000-0") is None


# incidents ----------------------------------------------------------------------------------


def test_incidents_get_increasing_ids_and_are_paged_newest_first(store):
    sitting_id, other_sitting = str(uuid.uuid4()), str(uuid.uuid4())
    worker_id, other_worker = str(uuid.uuid4()), str(uuid.uuid4())
    made = [
        incident(worker_id, sitting_id),
        incident(other_worker, sitting_id),
        incident(worker_id, other_sitting),
        incident(worker_id, sitting_id),
    ]
    with store.unit() as repository:
        for one in made:
            repository.add_incident(one)
            assert one.id is not None
    ids = [one.id for one in made]
    assert ids == sorted(ids) and len(set(ids)) == 4
    with store.unit() as repository:
        first, cursor = repository.incidents_page(3)
        rest, end = repository.incidents_page(3, cursor)
        assert [i.id for i in first + rest] == ids[::-1] and end is None
        assert first[0] == made[-1]
        assert [i.id for i in repository.incidents_page(10, sitting_id=sitting_id)[0]] == [
            ids[3],
            ids[1],
            ids[0],
        ]
        assert [
            i.id
            for i in repository.incidents_page(10, sitting_id=sitting_id, worker_id=worker_id)[0]
        ] == [ids[3], ids[0]]
        with pytest.raises(InvalidInput):
            repository.incidents_page(3, "42")


def test_wrong_niks_are_counted_per_trainer_and_worker_within_the_window(store):
    sitting_id, worker_id = str(uuid.uuid4()), str(uuid.uuid4())
    with store.unit() as repository:
        for one in (
            incident(worker_id, sitting_id, minutes=-90),
            incident(worker_id, sitting_id, minutes=-10),
            incident(worker_id, sitting_id, minutes=-5, kind=NIK_ATTEMPTS_EXHAUSTED),
            incident(worker_id, sitting_id, minutes=-4, trainer="opp-4"),
            incident(worker_id, sitting_id, minutes=-3, trainer=None),
            incident(str(uuid.uuid4()), sitting_id, minutes=-2),
        ):
            repository.add_incident(one)
    since = NOW - dt.timedelta(hours=1)
    with store.unit() as repository:
        assert repository.wrong_niks(worker_id, "opp-3", since) == [NOW - dt.timedelta(minutes=10)]
        assert repository.wrong_niks(worker_id, None, since) == [NOW - dt.timedelta(minutes=3)]
        assert len(repository.wrong_niks(worker_id, "opp-3", NOW - dt.timedelta(hours=2))) == 2


def test_the_trainees_of_a_batch_are_held_at_once_and_seats_still_found(store):
    """``hold_workers`` locks every trainee a batch speaks of (recording the unknown ones blank)
    and notes who holds no seat; what the handlers then ask answers as it would unheld."""
    [sitting] = sittings(store, {})
    seated, known = trainee_ids(store, 2)
    enrol(store, sitting, seated)
    unknown = str(uuid.uuid4())
    with store.unit() as repository:
        repository.hold_workers([unknown, seated, known], NOW)
        blank = repository.lock_trainee_heard_of(unknown, NOW)
        assert (blank.worker_id, blank.registered, blank.cycle, blank.sequence) == (
            unknown,
            False,
            0,
            0,
        )
        assert repository.lock_trainee_heard_of(known, NOW).worker_id == known
        assert [held.worker_id for held in repository.seats_held(seated, NOW)] == [seated]
        assert repository.seats_held(known, NOW) == []
        assert repository.seats_held(unknown, NOW) == []
        # a seat taken in the same unit of work is found, not hidden by what the hold noted
        repository.add_enrolment(
            Enrolment(sitting_id=sitting.id, worker_id=known, enrolled_at=NOW, status=ENROLLED)
        )
        assert [held.worker_id for held in repository.seats_held(known, NOW)] == [known]
        if isinstance(store, Real):
            assert_locked(store.engine, "workers", [seated, known])
    with store.unit() as repository:
        assert repository.lock_trainee(unknown).worker_id == unknown


def assert_locked(engine, table: str, ids: list[str]) -> None:
    """Each stored row is locked by a transaction still open: another cannot take it. (A
    row inserted by that transaction is not yet there for the other to see.)"""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    for row_id in ids:
        with engine.connect() as other:
            with pytest.raises(OperationalError, match="could not obtain lock"):
                other.execute(
                    text(f"SELECT 1 FROM {table} WHERE id = :id FOR UPDATE NOWAIT"), {"id": row_id}
                )
