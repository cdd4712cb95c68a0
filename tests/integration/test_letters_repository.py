"""One contract for the letters repository, checked against the in-memory fake the handler tests
use and the real one on PostgreSQL: what it stores, finds and orders, and the office's counter,
which on PostgreSQL gives letters issued at once consecutive numbers and takes back the number of
a transaction that failed."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.letters.domain import Letter
from services.letters.repository import LettersRepository
from tests.helpers import Kept, kept_on, wait_for
from tests.unit.fakes.letters import FakeLettersRepository

NOW = dt.datetime(2026, 12, 6, 3, tzinfo=dt.UTC)
KADEMANGAN, SANANKULON = "35.05.12.2001", "35.05.13.2004"


@pytest.fixture(params=["fake", "postgresql"])
def kept(request) -> Iterator[Kept]:
    yield from kept_on(request, FakeLettersRepository, LettersRepository, "letters")


def a_letter(worker_id=None, *, village=KADEMANGAN, status="requested", at=NOW, **more) -> Letter:
    return Letter(
        id=str(uuid.uuid4()),
        worker_id=worker_id or str(uuid.uuid4()),
        letter_type=more.pop("letter_type", "family_permission"),
        status=status,
        requested_at=at,
        updated_at=at,
        village_code=village,
        **more,
    )


def test_a_letter_is_stored_and_found_by_id_worker_and_code(kept):
    worker_id = str(uuid.uuid4())
    later = a_letter(worker_id, at=NOW + dt.timedelta(hours=1), letter_type="skck_recommendation")
    first = a_letter(
        worker_id,
        status="issued",
        number="560/1/IK/409.112/2026",
        year=2026,
        seq=1,
        verification_code="ABCDEFGHJKMN",
        pdf=b"%PDF-1.7 signed",
        issued_on=dt.date(2026, 12, 6),
    )
    kept.repository.add(later)
    kept.repository.add(first)
    kept.again()
    assert [x.id for x in kept.repository.of_worker(worker_id)] == [first.id, later.id]
    found = kept.repository.by_code("ABCDEFGHJKMN")
    assert (found.id, found.pdf, found.issued_on) == (
        first.id,
        b"%PDF-1.7 signed",
        dt.date(2026, 12, 6),
    )
    assert kept.repository.lock(later.id).letter_type == "skck_recommendation"
    assert kept.repository.get("not-an-id") is None
    assert kept.repository.by_code("ZZZZZZZZZZZZ") is None


def test_a_village_lists_only_its_own_residents_letters_the_longest_waiting_first(kept):
    theirs = a_letter(village=SANANKULON)
    newer = a_letter(at=NOW + dt.timedelta(minutes=5))
    older = a_letter(at=NOW - dt.timedelta(days=1))
    decided = a_letter(status="acknowledged")
    for letter in (theirs, newer, older, decided):
        kept.repository.add(letter)
    kept.again()
    assert [x.id for x in kept.repository.listed(village=KADEMANGAN, status="requested")] == [
        older.id,
        newer.id,
    ]
    assert [x.id for x in kept.repository.listed(village=SANANKULON)] == [theirs.id]
    assert len(kept.repository.listed(limit=2)) == 2


def test_the_counter_gives_each_year_and_type_its_own_sequence(kept):
    assert [kept.repository.next_seq("passport_recommendation", 2026) for _ in range(3)] == [
        1,
        2,
        3,
    ]
    assert kept.repository.next_seq("skck_recommendation", 2026) == 1
    assert kept.repository.next_seq("passport_recommendation", 2027) == 1


def test_twenty_transactions_at_once_take_twenty_consecutive_numbers(database_urls):
    engine = create_engine(database_urls["letters"], pool_size=20)
    start, taken, errors = threading.Barrier(20), [], []

    def issue() -> None:
        try:
            with Session(engine) as session, session.begin():
                start.wait()
                taken.append(LettersRepository(session).next_seq("family_permission", 2026))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=issue) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(taken) == list(range(1, 21))
    with Session(engine) as session, session.begin():
        LettersRepository(session).next_seq("family_permission", 2026)
        session.rollback()  # this issue failed: its number goes back
    with Session(engine) as session, session.begin():
        assert LettersRepository(session).next_seq("family_permission", 2026) == 21
    engine.dispose()


def test_a_number_once_given_is_never_given_to_another_letter(database_urls):
    engine = create_engine(database_urls["letters"])
    with Session(engine) as session, session.begin():
        LettersRepository(session).add(a_letter(number="560/1/IK/409.112/2026", year=2026, seq=1))
    with pytest.raises(IntegrityError), Session(engine) as session, session.begin():
        LettersRepository(session).add(a_letter(number="560/1/IK/409.112/2026-b", year=2026, seq=1))
    engine.dispose()


def test_requests_for_one_worker_take_turns(database_urls):
    """A second request for the worker waits until the first has committed, and then sees its
    letter: two at once cannot both find no letter of their type under way."""
    engine = create_engine(database_urls["letters"], pool_size=3)
    worker_id, seen_by_second = str(uuid.uuid4()), []

    def waiting_on_a_lock() -> bool:
        with engine.connect() as conn:
            return bool(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = current_database()"
                    )
                ).scalar()
            )

    def second() -> None:
        with Session(engine) as session, session.begin():
            repository = LettersRepository(session)
            repository.hold_worker(worker_id)
            seen_by_second.append(len(repository.of_worker(worker_id)))

    with Session(engine) as session, session.begin():
        first = LettersRepository(session)
        first.hold_worker(worker_id)
        first.add(a_letter(worker_id))
        thread = threading.Thread(target=second)
        thread.start()
        wait_for(lambda: waiting_on_a_lock() or seen_by_second, message="the second request")
    thread.join()
    assert seen_by_second == [1]
    engine.dispose()
