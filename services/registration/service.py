"""The registration service: the worker's record and the lifecycle it moves through."""

from __future__ import annotations

from pmi_common import contract as c
from pmi_common.clock import Clock
from pmi_common.context import LogContext
from pmi_common.inbox import handles
from pmi_common.metrics import MetricsServer
from pmi_common.operations import ServiceOperations
from pmi_common.rpc import rpc
from pmi_common.settings import Setting
from pmi_common.store import Database

from . import usecases
from .models import messaging, metadata
from .schemas import DEPARTURE_HORIZON_DAYS, TimelineEntryView, WorkerView

worker_view = WorkerView()
timeline_view = TimelineEntryView(many=True)


class RegistrationService(ServiceOperations):
    name = c.REGISTRATION

    db = Database(metadata)
    metrics = MetricsServer()
    clock = Clock()
    departure_horizon = Setting("DEPARTURE_HORIZON_DAYS", DEPARTURE_HORIZON_DAYS, int)
    log = LogContext()

    # commands ------------------------------------------------------------------------------

    @rpc
    def register_worker(self, payload: dict) -> dict:
        def register(uow):
            worker = usecases.register_worker(uow, payload, self.clock.now(), self.clock.today())
            self.log.info("worker_registered", worker_id=worker.id, nik=worker.nik)
            return worker_view.dump(worker)

        return self.db.command(register)

    @rpc
    def update_worker(self, worker_id: str, payload: dict) -> dict:
        return self.db.command(lambda uow: worker_view.dump(usecases.update_worker(
            uow, worker_id, payload, self.clock.now())))

    @rpc
    def record_departure(self, worker_id: str, payload: dict) -> dict:
        return self.db.command(lambda uow: worker_view.dump(usecases.record_departure(
            uow, worker_id, payload, self.clock.now(), self.clock.today(),
            self.departure_horizon)))

    @rpc
    def record_return(self, worker_id: str, payload: dict) -> dict:
        return self.db.command(lambda uow: worker_view.dump(usecases.record_return(
            uow, worker_id, payload, self.clock.now(), self.clock.today())))

    @rpc
    def withdraw_worker(self, worker_id: str, payload: dict) -> dict:
        return self.db.command(lambda uow: worker_view.dump(usecases.withdraw_worker(
            uow, worker_id, payload, self.clock.now())))

    # queries -------------------------------------------------------------------------------

    @rpc
    def get_worker(self, worker_id: str) -> dict:
        with self.db.read() as session:
            return worker_view.dump(usecases.get_worker(session, worker_id))

    @rpc
    def list_workers(self, query: dict) -> dict:
        with self.db.read() as session:
            rows, next_cursor = usecases.list_workers(session, query)
            return {"items": worker_view.dump(rows, many=True), "next_cursor": next_cursor}

    @rpc
    def worker_events(self, worker_id: str) -> list[dict]:
        """The worker's envelopes, for a service that meets the worker before the events do."""
        with self.db.read() as session:
            return usecases.worker_events(session, messaging.outbox, worker_id)

    @rpc
    def get_timeline(self, worker_id: str) -> list[dict]:
        with self.db.read() as session:
            return timeline_view.dump(usecases.timeline(session, worker_id))

    @rpc
    def get_stats(self) -> dict:
        with self.db.read() as session:
            return usecases.stats(session)

    # events from the other services --------------------------------------------------------

    @handles(
        c.DOCUMENT_SUBMITTED, c.DOCUMENT_VERIFIED, c.DOCUMENT_REJECTED, c.DOCUMENT_EXPIRED,
        c.DOCUMENTS_COMPLETED, c.ORIENTATION_ENROLLED, c.ORIENTATION_RELEASED,
        c.ORIENTATION_COMPLETED, c.REINTEGRATION_ENROLLED, c.REINTEGRATION_ROUND_RECORDED,
        c.REINTEGRATION_COMPLETED,
    )
    def on_worker_event(self, event):
        """Another service's event about a worker: on the timeline, and applied to the status."""
        self.db.apply_once(event, lambda uow: usecases.apply_event(uow, event,
                                                                     self.clock.today()))
