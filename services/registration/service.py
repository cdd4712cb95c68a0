"""The registration service: the worker's record and the lifecycle it moves through."""

from __future__ import annotations

from pmi_common import contract as c
from pmi_common.clock import Clock
from pmi_common.context import LogContext
from pmi_common.inbox import handles
from pmi_common.metrics import MetricsServer
from pmi_common.operations import ServiceOperations
from pmi_common.rpc import rpc
from pmi_common.schedule import every
from pmi_common.settings import Setting
from pmi_common.store import Database

from . import handlers
from .domain import CONTRACT_ENDING_NOTICE_DAYS
from .models import metadata
from .repository import RegistrationRepository
from .schemas import DEPARTURE_HORIZON_DAYS, FamilyMemberView, TimelineEntryView, WorkerView

worker_view = WorkerView()
timeline_view = TimelineEntryView(many=True)
member_view = FamilyMemberView()

CONTRACT_CHECK_SECONDS = 3600


class RegistrationService(ServiceOperations):
    name = c.REGISTRATION

    db = Database(metadata, repository=RegistrationRepository)
    metrics = MetricsServer()
    clock = Clock()
    departure_horizon = Setting("DEPARTURE_HORIZON_DAYS", DEPARTURE_HORIZON_DAYS, int)
    contract_notice = Setting("CONTRACT_ENDING_NOTICE_DAYS", CONTRACT_ENDING_NOTICE_DAYS, int)
    log = LogContext()

    # commands ------------------------------------------------------------------------------

    @rpc
    def register_worker(self, payload: dict) -> dict:
        def register(uow):
            worker = handlers.register_worker(uow, payload, self.clock.now(), self.clock.today())
            self.log.info("worker_registered", worker_id=worker.id)
            return worker_view.dump(worker)

        return self.db.command(register)

    @rpc
    def register_former_worker(self, payload: dict) -> dict:
        def register(uow):
            worker = handlers.register_former_worker(
                uow, payload, self.clock.now(), self.clock.today()
            )
            self.log.info("former_worker_registered", worker_id=worker.id)
            return worker_view.dump(worker)

        return self.db.command(register)

    @rpc
    def record_non_procedural_worker(self, payload: dict) -> dict:
        def record(uow):
            worker = handlers.record_non_procedural_worker(
                uow, payload, self.clock.now(), self.clock.today()
            )
            self.log.info("non_procedural_worker_recorded", worker_id=worker.id)
            return worker_view.dump(worker)

        return self.db.command(record)

    @rpc
    def update_worker(self, worker_id: str, payload: dict) -> dict:
        return self.db.command(
            lambda uow: worker_view.dump(
                handlers.update_worker(uow, worker_id, payload, self.clock.now())
            )
        )

    @rpc
    def record_departure(self, worker_id: str, payload: dict) -> dict:
        return self.db.command(
            lambda uow: worker_view.dump(
                handlers.record_departure(
                    uow,
                    worker_id,
                    payload,
                    self.clock.now(),
                    self.clock.today(),
                    self.departure_horizon,
                )
            )
        )

    @rpc
    def record_return(self, worker_id: str, payload: dict) -> dict:
        return self.db.command(
            lambda uow: worker_view.dump(
                handlers.record_return(
                    uow, worker_id, payload, self.clock.now(), self.clock.today()
                )
            )
        )

    @rpc
    def withdraw_worker(self, worker_id: str, payload: dict) -> dict:
        return self.db.command(
            lambda uow: worker_view.dump(
                handlers.withdraw_worker(uow, worker_id, payload, self.clock.now())
            )
        )

    @rpc
    def record_death(self, worker_id: str, payload: dict) -> dict:
        return self.db.command(
            lambda uow: worker_view.dump(
                handlers.record_death(uow, worker_id, payload, self.clock.now(), self.clock.today())
            )
        )

    # the contract abroad -------------------------------------------------------------------

    @rpc
    def extend_contract(self, worker_id: str, payload: dict) -> dict:
        return self.db.command(
            lambda uow: worker_view.dump(
                handlers.extend_contract(uow, worker_id, payload, self.clock.now())
            )
        )

    @rpc
    def change_employer(self, worker_id: str, payload: dict) -> dict:
        return self.db.command(
            lambda uow: worker_view.dump(
                handlers.change_employer(
                    uow, worker_id, payload, self.clock.now(), self.clock.today()
                )
            )
        )

    @rpc
    def expect_return(self, worker_id: str, payload: dict) -> dict:
        return self.db.command(
            lambda uow: worker_view.dump(
                handlers.expect_return(uow, worker_id, payload, self.clock.now())
            )
        )

    @rpc
    def announce_contracts_ending(self) -> int:
        """Announce the workers abroad due home, a batch per transaction; how many were."""
        today = self.clock.today()
        announced = 0
        while True:
            with self.db.transaction() as uow:
                batch = handlers.announce_contracts_ending(uow, today, self.contract_notice)
            if not batch:
                break
            announced += batch
        if announced:
            self.log.info("contracts_ending_announced", count=announced)
        return announced

    @every("CONTRACT_CHECK_SECONDS", CONTRACT_CHECK_SECONDS)
    def check_contracts_ending(self) -> None:
        """The scheduled check for contracts abroad ending soon."""
        self.announce_contracts_ending()

    # the family ----------------------------------------------------------------------------

    @rpc
    def add_family_member(self, worker_id: str, payload: dict) -> dict:
        def add(uow):
            member = handlers.add_family_member(uow, worker_id, payload, self.clock.now())
            self.log.info("family_member_added", worker_id=worker_id, member_id=member.id)
            return member_view.dump(member)

        return self.db.command(add)

    @rpc
    def change_family_member(self, worker_id: str, member_id: str, payload: dict) -> dict:
        return self.db.command(
            lambda uow: member_view.dump(
                handlers.change_family_member(uow, worker_id, member_id, payload, self.clock.now())
            )
        )

    @rpc
    def remove_family_member(self, worker_id: str, member_id: str) -> dict:
        return self.db.command(
            lambda uow: member_view.dump(
                handlers.remove_family_member(uow, worker_id, member_id, self.clock.now())
            )
        )

    # queries -------------------------------------------------------------------------------

    @rpc
    def get_worker(self, worker_id: str) -> dict:
        with self.db.queries() as repository:
            return worker_view.dump(handlers.get_worker(repository, worker_id))

    @rpc
    def contacts_of(self, worker_ids: list[str]) -> dict[str, dict]:
        """Each worker's phone, name and status, by id (those not found left out): one call for
        the workers of a batch of events, instead of one ``get_worker`` each."""
        with self.db.queries() as repository:
            return handlers.contacts_of(repository, worker_ids)

    @rpc
    def identify_worker(self, nik: str, phone: str) -> str | None:
        """The worker signing in to her app with this NIK and phone, or None."""
        with self.db.queries() as repository:
            return handlers.identify_worker(repository, nik, phone)

    @rpc
    def list_workers(self, query: dict) -> dict:
        with self.db.queries() as repository:
            workers, next_cursor = handlers.list_workers(repository, query)
            return {"items": worker_view.dump(workers, many=True), "next_cursor": next_cursor}

    @rpc
    def contracts_ending(self, query: dict) -> dict:
        """The reintegration desk's outreach list: contracts abroad ending soon."""
        with self.db.queries() as repository:
            workers, next_cursor = handlers.contracts_ending(repository, query, self.clock.today())
            return {"items": worker_view.dump(workers, many=True), "next_cursor": next_cursor}

    @rpc
    def family_of(self, worker_id: str) -> list[dict]:
        with self.db.queries() as repository:
            return member_view.dump(handlers.family_of(repository, worker_id), many=True)

    @rpc
    def worker_events(self, worker_id: str) -> list[dict]:
        """The worker's envelopes, for a service that meets the worker before the events do."""
        with self.db.queries() as repository:
            return handlers.worker_events(repository, worker_id)

    @rpc
    def get_timeline(self, worker_id: str) -> list[dict]:
        with self.db.queries() as repository:
            return timeline_view.dump(handlers.get_timeline(repository, worker_id))

    @rpc
    def get_stats(self) -> dict:
        with self.db.queries() as repository:
            return handlers.get_stats(repository)

    # events from the other services --------------------------------------------------------

    @handles(*handlers.EVENTS)
    def on_worker_event(self, event):
        """Another service's event about a worker: on the timeline, and applied to the status."""
        handle = handlers.EVENTS[event.event_type]
        self.db.apply_once(event, lambda uow: handle(uow, event, self.clock.today()))
