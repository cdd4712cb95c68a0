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

from . import handlers
from .domain import due_home_note
from .models import metadata
from .repository import ReintegrationRepository
from .schemas import ParticipantView, ProgramView

participant_view = ParticipantView()


class ReintegrationService(ServiceOperations):
    name = c.REINTEGRATION

    db = Database(metadata, repository=ReintegrationRepository)
    registration = TimedRpcProxy(c.REGISTRATION)
    metrics = MetricsServer()
    clock = Clock()
    log = LogContext()

    # commands ------------------------------------------------------------------------------

    @rpc
    def create_program(self, payload: dict) -> dict:
        def create(uow):
            programme = handlers.create_program(uow, payload, self.clock.now())
            self.log.info("program_created", program_id=programme.id)
            return self._program_view().dump(programme)

        return self.db.command(create)

    @rpc
    def enrol_participant(self, program_id: str, payload: dict) -> dict:
        if isinstance(payload, dict):
            self._meet(str(payload.get("worker_id")))
        return self.db.command(
            lambda uow: participant_view.dump(
                handlers.enrol_participant(
                    uow, program_id, payload, self.clock.now(), self.clock.today()
                )
            )
        )

    @rpc
    def record_round_result(self, program_id: str, payload: dict) -> dict:
        return self.db.command(
            lambda uow: participant_view.dump(
                handlers.record_round_result(uow, program_id, payload, self.clock.now())
            )
        )

    @rpc
    def complete_participant(self, program_id: str, payload: dict) -> dict:
        return self.db.command(
            lambda uow: participant_view.dump(
                handlers.complete_participant(uow, program_id, payload, self.clock.now())
            )
        )

    @rpc
    def record_follow_up(self, program_id: str, payload: dict) -> dict:
        return self.db.command(
            lambda uow: participant_view.dump(
                handlers.record_follow_up(
                    uow, program_id, payload, self.clock.now(), self.clock.today()
                )
            )
        )

    # queries -------------------------------------------------------------------------------

    @rpc
    def list_programs(self, query: dict) -> dict:
        with self.db.queries() as repository:
            programmes, next_cursor = handlers.list_programs(repository, query, self.clock.today())
            return {
                "items": self._program_view().dump(programmes, many=True),
                "next_cursor": next_cursor,
            }

    @rpc
    def get_program(self, program_id: str) -> dict:
        with self.db.queries() as repository:
            return self._program_view().dump(handlers.get_program(repository, program_id))

    @rpc
    def invitations(self, worker_id: str) -> dict:
        with self.db.queries() as repository:
            worker, kind, programmes = handlers.invitations(
                repository, worker_id, self.clock.today()
            )
            due_home_on = worker.due_home_on
            return {
                "worker_id": worker.id,
                "kind": kind,
                "programs": self._program_view().dump(programmes, many=True),
                "due_home_on": due_home_on.isoformat() if due_home_on else None,
                "note": due_home_note(due_home_on) if due_home_on else None,
            }

    @rpc
    def program_stats(self, program_id: str) -> dict:
        with self.db.queries() as repository:
            return handlers.program_stats(repository, program_id)

    @rpc
    def get_stats(self) -> dict:
        with self.db.queries() as repository:
            return handlers.get_stats(repository)

    # events from registration --------------------------------------------------------------

    def _meet(self, worker_id: str) -> None:
        """A worker registration accepted a moment ago is never unknown here (see
        ``pmi_common.introductions``)."""
        meet_worker(
            worker_id,
            self._knows,
            self.registration,
            dict.fromkeys(handlers.EVENTS, self.on_worker_event),
        )

    def _knows(self, worker_id: str) -> bool:
        with self.db.queries() as repository:
            return handlers.knows_worker(repository, worker_id)

    @handles(*handlers.EVENTS)
    def on_worker_event(self, event):
        """Registration told us about a worker: keep who is prospective and who has returned."""
        handler = handlers.EVENTS[event.event_type]
        invited = self.db.apply_once(event, lambda uow: handler(uow, event, self.clock.today()))
        if invited:
            self.log.info(
                "returnee_invited",
                worker_id=event.worker_id,
                program_ids=[programme.id for programme in invited],
                because=event.event_type,
            )

    def _program_view(self) -> ProgramView:
        return ProgramView(today=self.clock.today())
