"""One contract for the documents service's repository, kept by the fake the handlers' unit tests
use and by the real one on PostgreSQL: what each method stores, finds, locks and counts.

Each ``with store.unit() as repository`` is one unit of work: on PostgreSQL a transaction that
commits at the end, so what a later unit finds was really written and read back."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from services.documents.domain import (
    EXPIRED,
    REJECTED,
    REQUIRED_TYPES,
    VERIFIED,
    Document,
    Worker,
    read_scan,
)
from services.documents.repository import DocumentsRepository
from tests.unit.fakes.documents import FakeDocumentsRepository

NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 6, 1)
PDF = b"%PDF-1.7\n% a scan\n"


class FakeStore:
    def __init__(self):
        self.repository = FakeDocumentsRepository()

    @contextmanager
    def unit(self):
        yield self.repository


class PostgresStore:
    def __init__(self, url: str):
        self.engine = create_engine(url)

    @contextmanager
    def unit(self):
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield DocumentsRepository(session)


@pytest.fixture(params=["fake", "postgresql"])
def store(request):
    if request.param == "fake":
        yield FakeStore()
        return
    real = PostgresStore(request.getfixturevalue("database_urls")["documents"])
    yield real
    real.engine.dispose()


def worker(cycle=1, status="registered", sequence=1, worker_id=None) -> Worker:
    return Worker(
        id=worker_id or str(uuid.uuid4()),
        cycle=cycle,
        status=status,
        sequence=sequence,
        known_since=NOW,
        updated_at=NOW,
    )


def document(worker_id, kind="passport", cycle=1, submitted_at=NOW, **fields) -> Document:
    return Document(
        id=str(uuid.uuid4()),
        worker_id=worker_id,
        cycle=cycle,
        document_type=kind,
        number="X1234567",
        issued_on=dt.date(2025, 1, 1),
        submitted_at=submitted_at,
        **fields,
    )


def keep(store, *objects) -> None:
    with store.unit() as repository:
        for kept in objects:
            if isinstance(kept, Worker):
                repository.add_worker_if_absent(kept)
            else:
                repository.add_document(kept)


def decided(worker_id, kind, status, at, seconds) -> Document:
    return document(
        worker_id,
        kind,
        status=status,
        awaiting_decision=False,
        in_checklist=False,
        submitted_at=at - dt.timedelta(seconds=seconds),
        decided_at=at,
        decided_by="desk-1",
        decision_seconds=seconds,
    )


# workers ----------------------------------------------------------------------------------------


def test_a_worker_is_added_once_and_found_as_stored(store):
    first = worker(cycle=2, status="documents_verified", sequence=7)
    with store.unit() as repository:
        assert repository.add_worker_if_absent(first) is True
    with store.unit() as repository:
        assert repository.add_worker_if_absent(worker(worker_id=first.id, sequence=9)) is False
    with store.unit() as repository:
        found = repository.get_worker(first.id)
        locked = repository.lock_worker(first.id)
    assert found is locked
    assert (
        found.id,
        found.cycle,
        found.status,
        found.sequence,
        found.documents_complete,
        found.known_since,
    ) == (first.id, 2, "documents_verified", 7, False, NOW)
    assert found.returned_cycle is None and found.before_departure


@pytest.mark.parametrize("unknown", [str(uuid.uuid4()), "not-an-id", ""])
def test_an_unknown_worker_or_document_is_none(store, unknown):
    with store.unit() as repository:
        assert repository.get_worker(unknown) is None
        assert repository.lock_worker(unknown) is None
        assert repository.get_document(unknown) is None
        assert repository.lock_document(unknown) is None
        assert repository.lock_workers([unknown]) == []


def test_changes_to_a_worker_are_kept(store):
    kept = worker()
    keep(store, kept)
    with store.unit() as repository:
        found = repository.lock_worker(kept.id)
        assert found.learn(cycle=2, sequence=5, status="registered")
        found.documents_complete = True
        found.updated_at = NOW + dt.timedelta(hours=1)
    with store.unit() as repository:
        found = repository.get_worker(kept.id)
    assert (found.cycle, found.sequence, found.documents_complete, found.updated_at) == (
        2,
        5,
        True,
        NOW + dt.timedelta(hours=1),
    )


def test_workers_are_locked_in_the_order_of_their_ids(store):
    kept = [worker() for _ in range(3)]
    keep(store, *kept)
    with store.unit() as repository:
        locked = repository.lock_workers([w.id for w in reversed(kept)])
    assert [w.id for w in locked] == sorted(w.id for w in kept)


# documents and the checklist -------------------------------------------------------------------


def test_the_checklist_holds_the_documents_in_it_of_the_workers_current_cycle(store):
    owner, other = worker(cycle=2), worker()
    current = document(owner.id, "passport", cycle=2)
    replaced = document(owner.id, "work_visa", cycle=2, in_checklist=False, awaiting_decision=False)
    earlier = document(owner.id, "health_certificate", cycle=1)  # the cycle before
    theirs = document(other.id, "passport")
    keep(store, owner, other, current, replaced, earlier, theirs)
    with store.unit() as repository:
        checklist = repository.checklist(repository.get_worker(owner.id))
        found = repository.get_document(current.id)
    assert list(checklist) == ["passport"] and checklist["passport"].id == current.id
    assert found is not None and (
        found.worker_id,
        found.cycle,
        found.number,
        found.issued_on,
        found.submitted_at,
    ) == (owner.id, 2, "X1234567", dt.date(2025, 1, 1), NOW)


def test_a_replacement_and_a_decision_are_kept(store):
    owner = worker()
    first = document(owner.id, "passport")
    keep(store, owner, first)
    with store.unit() as repository:
        previous = repository.lock_document(first.id)
        successor = document(owner.id, "passport", replaces=previous.id)
        previous.replace_with(successor)
        repository.add_document(successor)
    with store.unit() as repository:
        repository.lock_document(successor.id).decide(
            REJECTED, "desk-1", NOW + dt.timedelta(hours=2), note=None, reason="blurred"
        )
    with store.unit() as repository:
        before, after = (repository.get_document(first.id), repository.get_document(successor.id))
        checklist = repository.checklist(repository.get_worker(owner.id))
    assert (before.in_checklist, before.awaiting_decision, before.replaced_by) == (
        False,
        False,
        successor.id,
    )
    assert (
        after.status,
        after.reason,
        after.decided_by,
        after.decision_seconds,
        after.awaiting_decision,
    ) == (REJECTED, "blurred", "desk-1", 7200.0, False)
    assert checklist["passport"].id == successor.id


def test_the_desk_queue_is_oldest_first_by_type_and_continues_after_a_position(store):
    owner = worker()
    at = [NOW + dt.timedelta(minutes=i) for i in range(4)]
    waiting = [
        document(owner.id, "passport", submitted_at=at[0]),
        document(owner.id, "work_visa", submitted_at=at[1]),
        document(owner.id, "health_certificate", submitted_at=at[2]),
    ]
    done = document(
        owner.id,
        "employment_contract",
        submitted_at=at[3],
        awaiting_decision=False,
        status=VERIFIED,
    )
    keep(store, owner, *waiting, done)
    with store.unit() as repository:
        everything = repository.awaiting_decision(None, None, 10)
        first_two = repository.awaiting_decision(None, None, 2)
        after = repository.awaiting_decision(None, (at[1], waiting[1].id), 10)
        visas = repository.awaiting_decision("work_visa", None, 10)
        none_after = repository.awaiting_decision("passport", (at[0], waiting[0].id), 10)
    assert [d.id for d in everything] == [d.id for d in waiting]
    assert [d.id for d in first_two] == [d.id for d in waiting[:2]]
    assert [d.id for d in after] == [waiting[2].id]
    assert [d.id for d in visas] == [waiting[1].id] and none_after == []


def test_documents_due_for_expiry_are_found_by_worker_and_locked_first_lapsed_first(store):
    early, late, fresh = worker(), worker(), worker()
    passport = document(
        early.id, "passport", status=VERIFIED, expires_on=TODAY - dt.timedelta(days=2)
    )
    visa = document(early.id, "work_visa", status=VERIFIED, expires_on=TODAY - dt.timedelta(days=5))
    passport.id, visa.id = str(uuid.UUID(int=1)), str(uuid.UUID(int=2))  # not by id
    health = document(
        late.id, "health_certificate", status=VERIFIED, expires_on=TODAY - dt.timedelta(days=1)
    )
    waiting = document(fresh.id, "passport", expires_on=TODAY - dt.timedelta(days=9))
    still_valid = document(fresh.id, "work_visa", status=VERIFIED, expires_on=TODAY)
    replaced = document(
        fresh.id,
        "health_certificate",
        status=VERIFIED,
        in_checklist=False,
        expires_on=TODAY - dt.timedelta(days=9),
    )
    keep(store, early, late, fresh, passport, visa, health, waiting, still_valid, replaced)
    with store.unit() as repository:
        assert repository.workers_due_for_expiry(TODAY, 1) == {early.id}
        assert repository.workers_due_for_expiry(TODAY, 10) == {early.id, late.id}
        due = repository.lock_due_documents(early.id, TODAY)
        assert [d.id for d in due] == [visa.id, passport.id]
        for lapsed in due:
            lapsed.expire(NOW)
    with store.unit() as repository:
        assert repository.workers_due_for_expiry(TODAY, 10) == {late.id}
        assert repository.lock_due_documents(early.id, TODAY) == []
        assert repository.get_document(visa.id).status == EXPIRED
        assert repository.get_document(visa.id).expired_at == NOW


def test_documents_lapsed_abroad_are_found_newest_lapse_first_until_a_renewal_was_verified(store):
    abroad, renewed, home, again = (
        worker(status="departed"),
        worker(status="departed"),
        worker(status="returned"),
        worker(cycle=2, status="departed"),
    )

    def lapsed_on(owner, kind, days, **fields):
        fields.setdefault("cycle", owner.cycle)
        return document(
            owner.id,
            kind,
            status=EXPIRED,
            awaiting_decision=False,
            expires_on=TODAY - dt.timedelta(days=days),
            submitted_at=NOW - dt.timedelta(days=400),
            **fields,
        )

    passport = lapsed_on(abroad, "passport", 3, in_checklist=False)  # its renewal was refused
    visa = lapsed_on(abroad, "work_visa", 9)
    health = lapsed_on(abroad, "health_certificate", 1)  # renewed abroad: never on the list
    refused = document(abroad.id, "passport", status=REJECTED, awaiting_decision=False)
    old_visa = lapsed_on(renewed, "work_visa", 2, in_checklist=False)
    renewal = document(renewed.id, "work_visa", status=VERIFIED, awaiting_decision=False)
    at_home = lapsed_on(home, "passport", 1)
    earlier_cycle = lapsed_on(again, "passport", 1, cycle=1)
    keep(store, abroad, renewed, home, again, passport, visa, health, refused)
    keep(store, old_visa, renewal, at_home, earlier_cycle)
    with store.unit() as repository:
        assert [d.id for d in repository.lapsed_abroad(None, 10)] == [passport.id, visa.id]
        assert [d.id for d in repository.lapsed_abroad(None, 1)] == [passport.id]
        after = (passport.expires_on, passport.id)
        assert [d.id for d in repository.lapsed_abroad(after, 10)] == [visa.id]


def test_passports_and_visas_due_a_lapse_warning_are_found_first_to_lapse_first(store):
    home, abroad, withdrawn, again = (
        worker(status="documents_verified"),
        worker(status="departed"),
        worker(status="withdrawn"),
        worker(cycle=2, status="registered"),
    )

    def verified(owner, kind, days, **fields):
        fields.setdefault("cycle", owner.cycle)
        return document(
            owner.id,
            kind,
            status=VERIFIED,
            awaiting_decision=False,
            expires_on=TODAY + dt.timedelta(days=days),
            **fields,
        )

    visa = verified(abroad, "work_visa", 20, expiry_warned_days=60)  # due the 30 days' one
    passport = verified(home, "passport", 45)
    last_day = verified(abroad, "passport", 0)
    given = [
        verified(abroad, "passport", 40, in_checklist=False, expiry_warned_days=60),
        verified(home, "work_visa", 25, expiry_warned_days=30),  # both given
        verified(home, "health_certificate", 10),  # not renewed abroad: never warned
        verified(withdrawn, "passport", 10),
        verified(again, "passport", 10, cycle=1),  # an earlier cycle's
        verified(home, "passport", 61, in_checklist=False),  # too far off
        verified(home, "passport", -1, in_checklist=False),  # lapsed: the expiry's business
        document(again.id, "work_visa", cycle=2, expires_on=TODAY + dt.timedelta(days=5)),
    ]
    keep(store, home, abroad, withdrawn, again, visa, passport, last_day, *given)
    with store.unit() as repository:
        found = repository.lock_due_a_warning(TODAY, 10)
        assert [d.id for d in found] == [last_day.id, visa.id, passport.id]
        assert [d.id for d in repository.lock_due_a_warning(TODAY, 1)] == [last_day.id]
        found[0].expiry_warned_days = 30
    with store.unit() as repository:
        assert [d.id for d in repository.lock_due_a_warning(TODAY, 10)] == [visa.id, passport.id]
        assert repository.get_document(last_day.id).expiry_warned_days == 30


# scans ------------------------------------------------------------------------------------------


def test_a_scan_is_kept_once_by_its_digest_and_read_back(store):
    owner, other = worker(), worker()
    scan = read_scan(base64.b64encode(PDF).decode())
    keep(store, owner, other, document(owner.id, file_sha256=scan.sha256))
    with store.unit() as repository:
        repository.add_scan(scan, NOW)
        repository.add_scan(scan, NOW + dt.timedelta(hours=1))  # again: nothing more
    with store.unit() as repository:
        found = repository.get_scan(scan.sha256)
        assert repository.get_scan("0" * 64) is None
        assert repository.scan_used_by_another_worker(scan.sha256, other.id)
        assert not repository.scan_used_by_another_worker(scan.sha256, owner.id)
    assert (found.content, found.media_type, found.sha256, found.size) == (
        PDF,
        "application/pdf",
        scan.sha256,
        len(PDF),
    )


# the desk's figures -----------------------------------------------------------------------------


def test_the_backlog_counts_waiting_documents_by_type_and_knows_the_oldest(store):
    owner = worker()
    with store.unit() as repository:
        assert repository.backlog() == dict.fromkeys(REQUIRED_TYPES, 0)
        assert repository.oldest_waiting_since() is None
    keep(
        store,
        owner,
        document(owner.id, "passport", submitted_at=NOW + dt.timedelta(hours=1)),
        document(owner.id, "work_visa", submitted_at=NOW),
        document(
            owner.id, "work_visa", in_checklist=False, submitted_at=NOW + dt.timedelta(hours=2)
        ),
        decided(owner.id, "health_certificate", VERIFIED, NOW, 60),
    )
    with store.unit() as repository:
        assert repository.backlog() == {
            **dict.fromkeys(REQUIRED_TYPES, 0),
            "passport": 1,
            "work_visa": 2,
        }
        assert repository.oldest_waiting_since() == NOW


def test_decision_times_are_counted_with_their_median_and_90th_percentile(store):
    owner = worker()
    since = NOW - dt.timedelta(days=30)
    keep(
        store,
        owner,
        *[decided(owner.id, "passport", VERIFIED, NOW, seconds) for seconds in (10, 20, 30)],
        decided(owner.id, "work_visa", REJECTED, NOW, 100),
        decided(owner.id, "work_visa", VERIFIED, since - dt.timedelta(seconds=1), 5000),
    )
    with store.unit() as repository:
        count, median, p90 = repository.decision_times(since)
        assert count == 4 and median == pytest.approx(25) and p90 == pytest.approx(79)
        assert repository.decision_times(since, "passport") == (
            3,
            pytest.approx(20),
            pytest.approx(28),
        )
        assert repository.decision_times(since, "work_visa") == (1, 100, 100)
        assert repository.decision_times(since, "marital_status_letter") == (0, None, None)


def test_the_workers_of_a_batch_are_held_at_once_and_checklists_still_found(store):
    """``hold_workers`` locks every worker a batch speaks of (recording the unknown ones blank)
    and notes who has no document in a checklist; what the handlers then ask answers as it
    would unheld."""
    with_documents, without = worker(), worker()
    keep(store, with_documents, without)
    passport = document(with_documents.id)
    keep(store, passport)
    unknown = str(uuid.uuid4())
    with store.unit() as repository:
        repository.hold_workers([unknown, with_documents.id, without.id], NOW)
        blank = repository.lock_worker_heard_of(unknown, NOW)
        assert (blank.id, blank.cycle, blank.sequence, blank.documents_complete) == (
            unknown,
            0,
            0,
            False,
        )
        held = repository.lock_worker_heard_of(with_documents.id, NOW)
        assert held.status == "registered"
        assert [d.id for d in repository.checklist(held).values()] == [passport.id]
        other = repository.lock_worker_heard_of(without.id, NOW)
        assert repository.checklist(other) == {}
        # a document added in the same unit of work is found, not hidden by what the hold noted
        visa = document(without.id, kind="visa")
        repository.add_document(visa)
        assert [d.id for d in repository.checklist(other).values()] == [visa.id]
        if isinstance(store, PostgresStore):
            assert_locked(store.engine, [with_documents.id, without.id])


def assert_locked(engine, ids: list[str]) -> None:
    """Each stored worker's row is locked by a transaction still open: another cannot take
    it. (A row inserted by that transaction is not yet there for the other to see.)"""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    for row_id in ids:
        with engine.connect() as other:
            with pytest.raises(OperationalError, match="could not obtain lock"):
                other.execute(
                    text("SELECT 1 FROM workers WHERE id = :id FOR UPDATE NOWAIT"), {"id": row_id}
                )
