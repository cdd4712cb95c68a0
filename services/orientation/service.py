"""The orientation service: pre-departure orientation (OPP) sessions, who may attend them, the
identity check at the door, and the certificates it issues."""

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
from .domain import WrongNik
from .models import metadata
from .repository import OrientationRepository
from .schemas import CompletionView, EnrolmentView, IncidentView, SessionView, TicketView

session_view = SessionView()
enrolment_view = EnrolmentView()
completion_view = CompletionView()
incident_view = IncidentView()
ticket_view = TicketView()


def _attendance_answer(outcome) -> dict:
    if isinstance(outcome, WrongNik):
        return handlers.wrong_nik_answer(outcome)
    return completion_view.dump(outcome)


class OrientationService(ServiceOperations):
    name = c.ORIENTATION

    db = Database(metadata, repository=OrientationRepository)
    registration = TimedRpcProxy(c.REGISTRATION)
    metrics = MetricsServer()
    clock = Clock()
    log = LogContext()

    # sessions (sittings) -------------------------------------------------------------------

    @rpc
    def schedule_session(self, payload: dict) -> dict:
        return self.db.command(
            lambda uow: session_view.dump(handlers.schedule_sitting(uow, payload, self.clock.now()))
        )

    @rpc
    def cancel_session(self, session_id: str, payload: dict) -> dict:
        return self.db.command(
            lambda uow: session_view.dump(
                handlers.cancel_sitting(uow, session_id, payload, self.clock.now())
            )
        )

    @rpc
    def get_session(self, session_id: str) -> dict:
        with self.db.queries() as repository:
            return session_view.dump(handlers.get_sitting(repository, session_id))

    @rpc
    def list_sessions(self, query: dict | None = None) -> dict:
        with self.db.queries() as repository:
            items, next_cursor = handlers.list_sittings(repository, query or {}, self.clock.now())
            return {"items": session_view.dump(items, many=True), "next_cursor": next_cursor}

    # enrolment and attendance --------------------------------------------------------------

    @rpc
    def enrol_worker(self, session_id: str, payload: dict) -> dict:
        if isinstance(payload, dict):
            self._meet(str(payload.get("worker_id")))
        return self.db.command(
            lambda uow: enrolment_view.dump(
                handlers.enrol_worker(uow, session_id, payload, self.clock.now())
            )
        )

    @rpc
    def record_attendance(self, session_id: str, payload: dict) -> dict:
        """A wrong NIK is committed as an incident, then refused; a keyed retry of either gets
        the same answer (``Store.command``)."""
        now = self.clock.now()
        answer = self.db.command(
            lambda uow: _attendance_answer(
                handlers.record_attendance(uow, session_id, payload, now)
            )
        )
        return handlers.answer_attendance(answer, now)

    # certificates and incidents ------------------------------------------------------------

    @rpc
    def verify_certificate(self, certificate_number: str) -> dict:
        with self.db.queries() as repository:
            return handlers.verify_certificate(repository, certificate_number)

    @rpc
    def worker_orientation(self, worker_id: str) -> dict:
        """The worker's own: the seat she holds with its ticket, and her certificate."""
        with self.db.queries() as repository:
            seat, completion, earned_at = handlers.worker_orientation(
                repository, worker_id, self.clock.now()
            )
            certificate = None
            if completion is not None:
                certificate = {
                    **completion_view.dump(completion),
                    "holder_name": completion.holder_name,
                    "session": session_view.dump(earned_at) if earned_at else None,
                }
            return {
                "worker_id": worker_id,
                "seat": ticket_view.dump(seat) if seat else None,
                "certificate": certificate,
            }

    @rpc
    def list_incidents(self, query: dict | None = None) -> dict:
        with self.db.queries() as repository:
            items, next_cursor = handlers.list_incidents(repository, query or {})
            return {"items": incident_view.dump(items, many=True), "next_cursor": next_cursor}

    # events from the other services --------------------------------------------------------

    def _meet(self, worker_id: str) -> None:
        """A worker registration accepted a moment ago is never unknown here (see
        ``pmi_common.introductions``)."""
        meet_worker(
            worker_id,
            self._knows,
            self.registration,
            {
                c.WORKER_REGISTERED: self.on_worker_registered,
                c.WORKER_STATUS_CHANGED: self.on_worker_status_changed,
            },
        )

    def _knows(self, worker_id: str) -> bool:
        with self.db.queries() as repository:
            return handlers.knows_worker(repository, worker_id)

    @handles(c.WORKER_REGISTERED)
    def on_worker_registered(self, event):
        self.db.apply_once(
            event, lambda uow: handlers.on_worker_registered(uow, event, self.clock.now())
        )

    @handles(c.WORKER_STATUS_CHANGED)
    def on_worker_status_changed(self, event):
        self.db.apply_once(
            event, lambda uow: handlers.on_worker_status_changed(uow, event, self.clock.now())
        )

    @handles(
        c.DOCUMENT_SUBMITTED,
        c.DOCUMENT_VERIFIED,
        c.DOCUMENT_REJECTED,
        c.DOCUMENT_EXPIRED,
        c.DOCUMENTS_COMPLETED,
    )
    def on_documents_changed(self, event):
        self.db.apply_once(
            event, lambda uow: handlers.on_documents_changed(uow, event, self.clock.now())
        )
