"""The reintegration service: entrepreneurship programmes (like PAK CAMAT PMI) for prospective and
returned migrant workers, run as a funnel of selection rounds, and their outcomes."""

from __future__ import annotations

from pmi_common import contract as c
from pmi_common.clock import Clock
from pmi_common.context import LogContext
from pmi_common.inbox import handles
from pmi_common.introductions import meet_worker
from pmi_common.metrics import MetricsServer
from pmi_common.operations import ServiceOperations
from pmi_common.rpc import TimedRpcProxy, rpc
from pmi_common.store import Database

from . import usecases
from .models import metadata
from .schemas import ParticipantView, ProgramView

participant_view = ParticipantView()


class ReintegrationService(ServiceOperations):
    name = c.REINTEGRATION

    db = Database(metadata)
    registration = TimedRpcProxy(c.REGISTRATION)
    metrics = MetricsServer()
    clock = Clock()
    log = LogContext()

    # commands ------------------------------------------------------------------------------

    @rpc
    def create_program(self, payload: dict) -> dict:
        def create(uow):
            program = usecases.create_program(uow, payload, self.clock.now())
            self.log.info("program_created", program_id=program.id)
            return self._program_view().dump(program)

        return self.db.command(create)

    @rpc
    def enrol_participant(self, program_id: str, payload: dict) -> dict:
        if isinstance(payload, dict):
            self._meet(str(payload.get("worker_id")))
        return self.db.command(lambda uow: participant_view.dump(usecases.enrol_participant(
            uow, program_id, payload, self.clock.now(), self.clock.today())))

    @rpc
    def record_round_result(self, program_id: str, payload: dict) -> dict:
        return self.db.command(lambda uow: participant_view.dump(usecases.record_round_result(
            uow, program_id, payload, self.clock.now())))

    @rpc
    def complete_participant(self, program_id: str, payload: dict) -> dict:
        return self.db.command(lambda uow: participant_view.dump(usecases.complete_participant(
            uow, program_id, payload, self.clock.now())))

    # queries -------------------------------------------------------------------------------

    @rpc
    def list_programs(self, query: dict) -> dict:
        with self.db.read() as session:
            rows, next_cursor = usecases.list_programs(session, query, self.clock.today())
            return {"items": self._program_view().dump(rows, many=True),
                    "next_cursor": next_cursor}

    @rpc
    def get_program(self, program_id: str) -> dict:
        with self.db.read() as session:
            return self._program_view().dump(usecases.get_program(session, program_id))

    @rpc
    def invitations(self, worker_id: str) -> dict:
        with self.db.read() as session:
            worker, kind, programs = usecases.invitations(session, worker_id, self.clock.today())
            return {"worker_id": worker.id, "kind": kind,
                    "programs": self._program_view().dump(programs, many=True)}

    @rpc
    def program_stats(self, program_id: str) -> dict:
        with self.db.read() as session:
            return usecases.program_stats(session, program_id)

    @rpc
    def get_stats(self) -> dict:
        with self.db.read() as session:
            return usecases.stats(session)

    # events from registration --------------------------------------------------------------

    def _meet(self, worker_id: str) -> None:
        """A worker registration accepted a moment ago is never unknown here (see
        ``pmi_common.introductions``)."""
        meet_worker(worker_id, self._knows, self.registration,
                    dict.fromkeys((c.WORKER_REGISTERED, c.WORKER_RETURNED,
                                   c.WORKER_STATUS_CHANGED), self.on_worker_event))

    def _knows(self, worker_id: str) -> bool:
        with self.db.read() as session:
            return usecases.knows_worker(session, worker_id)

    @handles(c.WORKER_REGISTERED, c.WORKER_RETURNED, c.WORKER_STATUS_CHANGED)
    def on_worker_event(self, event):
        """Registration told us about a worker: keep who is prospective and who has returned."""
        invited = self.db.apply_once(
            event, lambda uow: usecases.note_worker(uow, event, self.clock.today()))
        if invited:
            self.log.info("returnee_invited", worker_id=event.worker_id,
                          program_ids=[program.id for program in invited])

    def _program_view(self) -> ProgramView:
        return ProgramView(today=self.clock.today())
