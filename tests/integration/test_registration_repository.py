"""Registration's repository: the in-memory fake the handlers' unit tests use and the real one on
PostgreSQL behave the same, method by method.

Each test writes, then ``reopen()``s (a new transaction: the real repository reads back what it
stored), then checks what it reads."""

from __future__ import annotations

import copy
import datetime as dt
import uuid

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from pmi_common import contract as c
from pmi_common.errors import DuplicateRegistration
from pmi_common.store import SqlUnitOfWork, messaging_tables
from services.registration.domain import (
    DEPARTED,
    RETURNED,
    Details,
    StatusChange,
    TimelineEntry,
    Worker,
)
from services.registration.models import metadata
from services.registration.repository import RegistrationRepository
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.fakes.registration import FakeRegistrationRepository

NOW = dt.datetime(2027, 1, 4, 2, 30, tzinfo=dt.UTC)
_niks = iter(range(1, 9999))


class FakeStorage:
    def __init__(self):
        self.repository = FakeRegistrationRepository()
        self.uow = FakeUnitOfWork(self.repository, source=c.REGISTRATION)

    def reopen(self) -> FakeRegistrationRepository:
        """What a new transaction would see: the objects as stored, their changes announced."""
        self.repository = copy.deepcopy(self.repository)
        for worker in self.repository.workers.values():
            worker.changes = []
        return self.repository

    def publish(self, event_type: str, data: dict, worker_id: str) -> dict:
        envelope = self.uow.publish(event_type, data, worker_id=worker_id)
        self.repository.outbox.append(envelope)
        return envelope

    def close(self) -> None:
        pass


class PostgresStorage:
    def __init__(self, url: str):
        self.engine = create_engine(url)
        self.session = Session(self.engine, expire_on_commit=False)
        self.repository = RegistrationRepository(self.session)

    def reopen(self) -> RegistrationRepository:
        self.session.commit()
        self.session.close()
        self.session = Session(self.engine, expire_on_commit=False)
        self.repository = RegistrationRepository(self.session)
        return self.repository

    def publish(self, event_type: str, data: dict, worker_id: str) -> dict:
        uow = SqlUnitOfWork(self.session, messaging_tables(metadata), c.REGISTRATION, "corr", None)
        envelope = uow.publish(event_type, data, worker_id=worker_id)
        uow.write_outbox()  # what Store.transaction does when the work is done
        return envelope

    def close(self) -> None:
        self.session.rollback()
        self.session.close()
        self.engine.dispose()


@pytest.fixture(params=["fake", "postgresql"])
def storage(request):
    if request.param == "fake":
        store = FakeStorage()
    else:
        store = PostgresStorage(request.getfixturevalue("database_urls")["registration"])
    yield store
    store.close()


def a_worker(nik: str | None = None, **details) -> Worker:
    given = dict(
        full_name="Siti Aminah",
        birth_date=dt.date(1994, 3, 17),
        sex="F",
        phone="+6281234567890",
        address={"village": "Kademangan", "regency": " Blitar ", "street": None},
        destination_country="HK",
        occupation="caregiver",
        placement_agency="PT Sinar Jaya",
    )
    given.update(details)
    nik = nik or f"350512570394{next(_niks):04d}"
    worker = Worker.register(str(uuid.uuid4()), nik, "digest-" + nik, Details(**given), NOW)
    worker.take_changes()
    return worker


def as_stored(worker: Worker) -> dict:
    fields = dict(vars(worker))
    fields.pop("_sa_instance_state", None)
    fields.pop("version", None)
    return fields


# workers -------------------------------------------------------------------------------------


def test_a_worker_added_reads_back_as_it_was_stored(storage):
    worker = a_worker()
    storage.repository.add_worker(worker)
    expected = as_stored(worker)

    repository = storage.reopen()

    assert as_stored(repository.get_worker(worker.id)) == expected
    assert expected["regency"] == "Blitar" and "street" not in expected["address"]
    assert repository.lock_worker(worker.id).id == worker.id
    assert repository.lock_worker_with_nik(worker.nik).id == worker.id
    assert repository.get_worker(worker.id).changes == []


def test_what_a_worker_does_is_stored_with_it(storage):
    worker = a_worker()
    storage.repository.add_worker(worker)
    worker = storage.reopen().lock_worker(worker.id)
    worker.documents_changed(True, 4, "documents_completed", valid_until=dt.date(2030, 1, 1))
    worker.orientation_done("orientation_completed")
    worker.bpjs_recorded("12345678901")
    worker.depart(dt.date(2027, 1, 20), "Hsin Yi Care", "TW")

    stored = storage.reopen().get_worker(worker.id)

    assert (stored.status, stored.stage, stored.destination_country, stored.employer) == (
        DEPARTED,
        "abroad",
        "TW",
        "Hsin Yi Care",
    )
    assert (stored.documents_sequence, stored.documents_valid_until, stored.bpjs_number) == (
        4,
        dt.date(2030, 1, 1),
        "12345678901",
    )


def test_a_nik_another_worker_has_is_refused(storage):
    first = a_worker()
    storage.repository.add_worker(first)
    with pytest.raises(DuplicateRegistration):
        storage.repository.add_worker(a_worker(nik=first.nik))


@pytest.mark.parametrize("worker_id", [None, "", "not-an-id", str(uuid.uuid4())])
def test_an_unknown_or_malformed_id_finds_no_worker(storage, worker_id):
    storage.repository.add_worker(a_worker())
    repository = storage.reopen()
    assert repository.lock_worker(worker_id) is None
    assert repository.get_worker(worker_id) is None


def test_no_worker_has_an_unknown_nik(storage):
    assert storage.repository.lock_worker_with_nik("3505125703949999") is None


def test_lists_filter_and_continue_after_an_id(storage):
    workers = [
        a_worker(),
        a_worker(destination_country="MY"),
        a_worker(placement_agency="PT Lain"),
        a_worker(address={"regency": "Malang"}),
    ]
    for worker in workers:
        storage.repository.add_worker(worker)
    by_id = sorted(worker.id for worker in workers)
    repository = storage.reopen()

    assert [w.id for w in repository.list_workers(10)] == by_id
    assert [w.id for w in repository.list_workers(2)] == by_id[:2]
    assert [w.id for w in repository.list_workers(10, after=by_id[1])] == by_id[2:]
    assert [w.id for w in repository.list_workers(10, destination_country="MY")] == [workers[1].id]
    assert [w.id for w in repository.list_workers(10, placement_agency="pt lain")] == [
        workers[2].id
    ]
    assert [w.id for w in repository.list_workers(10, regency="Malang")] == [workers[3].id]
    assert len(repository.list_workers(10, stage="pre_departure", status="registered")) == 4
    assert repository.list_workers(10, stage="abroad") == []


def test_contracts_ending_not_yet_announced_are_found_soonest_first_and_locked(storage):
    today = dt.date(2091, 1, 1)  # a year no other test's contract ends in
    by = today + dt.timedelta(days=60)

    def abroad(ends_in: int | None, status: str = DEPARTED, announced: bool = False) -> Worker:
        worker = a_worker()
        worker.status = status
        worker.contract_ends_on = (
            today + dt.timedelta(days=ends_in) if ends_in is not None else None
        )
        if announced:
            worker.contract_ending_announced_for = worker.contract_ends_on
        storage.repository.add_worker(worker)
        return worker

    later, sooner, last_day = abroad(50), abroad(5), abroad(60)
    abroad(61), abroad(-1), abroad(None), abroad(5, status=RETURNED), abroad(5, announced=True)
    extended = abroad(40)
    extended.contract_ending_announced_for = today + dt.timedelta(days=2)  # before the extension
    repository = storage.reopen()

    found = repository.lock_contracts_ending_unannounced(today, by, 10)
    assert [w.id for w in found] == [sooner.id, extended.id, later.id, last_day.id]
    assert [w.id for w in repository.lock_contracts_ending_unannounced(today, by, 2)] == [
        sooner.id,
        extended.id,
    ]
    found[0].contract_ending_announced_for = found[0].contract_ends_on
    repository = storage.reopen()
    assert sooner.id not in {
        w.id for w in repository.lock_contracts_ending_unannounced(today, by, 10)
    }
    assert repository.get_worker(sooner.id).contract_ending_announced_for == (
        today + dt.timedelta(days=5)
    )


def test_stats_count_workers_by_stage_status_regency_and_country(storage):
    for worker in (
        a_worker(),
        a_worker(destination_country="MY"),
        a_worker(address={"regency": "Malang"}),
    ):
        storage.repository.add_worker(worker)

    assert storage.reopen().stats() == {
        "total": 3,
        "by_stage": {"pre_departure": 3},
        "by_status": {"registered": 3},
        "by_regency": {"Blitar": 2, "Malang": 1},
        "by_destination_country": {"HK": 2, "MY": 1},
    }


def test_stats_of_nobody(storage):
    assert storage.repository.stats() == {
        "total": 0,
        "by_stage": {},
        "by_status": {},
        "by_regency": {},
        "by_destination_country": {},
    }


# the timeline --------------------------------------------------------------------------------


def test_the_timeline_keeps_each_workers_entries_in_the_order_they_were_added(storage):
    worker, other = a_worker(), a_worker()
    for each in (worker, other):
        storage.repository.add_worker(each)
    actor = {"role": "operator", "agency": "ltsa-blitar", "subject": "desk-1"}
    change = StatusChange(None, "registered", "registered")
    added = [
        TimelineEntry.about(
            worker,
            c.WORKER_REGISTERED,
            c.REGISTRATION,
            NOW,
            event_id=str(uuid.uuid4()),
            actor=actor,
            correlation_id="corr",
            details={"cycle": 1},
        ),
        TimelineEntry.about(other, c.WORKER_REGISTERED, c.REGISTRATION, NOW),
        TimelineEntry.about(worker, c.WORKER_STATUS_CHANGED, c.REGISTRATION, NOW, change=change),
        TimelineEntry.about(
            worker, "bpjs_number_recorded", c.REGISTRATION, NOW - dt.timedelta(days=1)
        ),
    ]
    for entry in added:
        storage.repository.add_entry(entry)
    expected = [{**vars(entry)} for entry in (added[0], added[2], added[3])]

    entries = storage.reopen().timeline(worker.id)

    assert [entry.event_type for entry in entries] == [
        c.WORKER_REGISTERED,
        c.WORKER_STATUS_CHANGED,
        "bpjs_number_recorded",
    ]
    assert entries[0].id < entries[1].id < entries[2].id
    for entry, wanted in zip(entries, expected, strict=True):
        got = {key: value for key, value in vars(entry).items() if not key.startswith("_")}
        assert got == {
            key: value for key, value in wanted.items() if not key.startswith("_") and key != "id"
        } | {"id": entry.id}
    assert (entries[0].actor_role, entries[0].actor_agency, entries[0].actor_subject) == (
        "operator",
        "ltsa-blitar",
        "desk-1",
    )
    assert (entries[1].from_status, entries[1].to_status, entries[1].stage) == (
        None,
        "registered",
        "pre_departure",
    )


def test_a_return_is_found_in_the_cycle_it_was_recorded_in(storage):
    worker = a_worker()
    storage.repository.add_worker(worker)
    repository = storage.repository
    assert repository.return_recorded_at(worker.id, 1) is None
    for days, to_status in ((1, DEPARTED), (30, RETURNED), (31, RETURNED), (40, "withdrawn")):
        repository.add_entry(
            TimelineEntry.about(
                worker,
                c.WORKER_STATUS_CHANGED,
                c.REGISTRATION,
                NOW + dt.timedelta(days=days),
                change=StatusChange("x", to_status, "test"),
            )
        )

    repository = storage.reopen()

    assert repository.return_recorded_at(worker.id, 1) == NOW + dt.timedelta(days=31)
    assert repository.return_recorded_at(worker.id, 2) is None
    assert repository.return_recorded_at(str(uuid.uuid4()), 1) is None


# what the service published ------------------------------------------------------------------


def test_a_workers_events_come_back_oldest_first(storage):
    worker, other = a_worker(), a_worker()
    for each in (worker, other):
        storage.repository.add_worker(each)
    data = {
        "from_status": None,
        "to_status": "registered",
        "stage": "pre_departure",
        "reason": "registered",
        "cycle": 1,
    }
    first = storage.publish(c.WORKER_STATUS_CHANGED, data, worker.id)
    storage.publish(c.WORKER_STATUS_CHANGED, data, other.id)
    second = storage.publish(c.WORKER_STATUS_CHANGED, data, worker.id)

    repository = storage.reopen()

    events = repository.worker_events(worker.id)
    assert [event["event_id"] for event in events] == [first["event_id"], second["event_id"]]
    assert [event["sequence"] for event in events] == [1, 2]
    assert repository.worker_events("not-an-id") == []
    assert repository.worker_events(str(uuid.uuid4())) == []
