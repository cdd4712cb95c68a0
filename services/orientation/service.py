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

from . import usecases
from .models import metadata
from .schemas import CompletionView, EnrolmentView, IncidentView, SessionView

session_view = SessionView()
enrolment_view = EnrolmentView()
completion_view = CompletionView()
incident_view = IncidentView()


class OrientationService(ServiceOperations):
    name = c.ORIENTATION

    db = Database(metadata)
    registration = TimedRpcProxy(c.REGISTRATION)
    metrics = MetricsServer()
    clock = Clock()
    log = LogContext()

    # sessions ------------------------------------------------------------------------------

    @rpc
    def schedule_session(self, payload: dict) -> dict:
        return self.db.command(lambda uow: session_view.dump(usecases.schedule_session(
            uow, payload, self.clock.now())))

    @rpc
    def cancel_session(self, session_id: str, payload: dict) -> dict:
        return self.db.command(lambda uow: session_view.dump(usecases.cancel_session(
            uow, session_id, payload, self.clock.now())))

    @rpc
    def get_session(self, session_id: str) -> dict:
        with self.db.read() as session:
            return session_view.dump(usecases.get_session(session, session_id))

    @rpc
    def list_sessions(self, query: dict | None = None) -> dict:
        with self.db.read() as session:
            rows, next_cursor = usecases.list_sessions(session, query or {}, self.clock.now())
            return {"items": session_view.dump(rows, many=True), "next_cursor": next_cursor}

    # enrolment and attendance --------------------------------------------------------------

    @rpc
    def enrol_worker(self, session_id: str, payload: dict) -> dict:
        if isinstance(payload, dict):
            self._meet(str(payload.get("worker_id")))
        return self.db.command(lambda uow: enrolment_view.dump(usecases.enrol_worker(
            uow, session_id, payload, self.clock.now())))

    @rpc
    def record_attendance(self, session_id: str, payload: dict) -> dict:
        return usecases.record_attendance(self.db, session_id, payload, self.clock.now(),
                                          completion_view.dump)

    # certificates and incidents ------------------------------------------------------------

    @rpc
    def verify_certificate(self, certificate_number: str) -> dict:
        with self.db.read() as session:
            return usecases.verify_certificate(session, certificate_number)

    @rpc
    def list_incidents(self, query: dict | None = None) -> dict:
        with self.db.read() as session:
            rows, next_cursor = usecases.list_incidents(session, query or {})
            return {"items": incident_view.dump(rows, many=True), "next_cursor": next_cursor}

    # events from the other services --------------------------------------------------------

    def _meet(self, worker_id: str) -> None:
        """A worker registration accepted a moment ago is never unknown here (see
        ``pmi_common.introductions``)."""
        meet_worker(worker_id, self._knows, self.registration,
                    {c.WORKER_REGISTERED: self.on_worker_registered,
                     c.WORKER_STATUS_CHANGED: self.on_worker_status_changed})

    def _knows(self, worker_id: str) -> bool:
        with self.db.read() as session:
            return usecases.knows_worker(session, worker_id)

    @handles(c.WORKER_REGISTERED)
    def on_worker_registered(self, event):
        """The worker exists, with the digest of their NIK to check at attendance."""
        self.db.apply_once(event, lambda uow: usecases.worker_registered(
            uow, event, self.clock.now()))

    @handles(c.WORKER_STATUS_CHANGED)
    def on_worker_status_changed(self, event):
        """A withdrawn or departed worker gives back any seat they hold."""
        self.db.apply_once(event, lambda uow: usecases.worker_status_changed(
            uow, event, self.clock.now()))

    @handles(c.DOCUMENT_SUBMITTED, c.DOCUMENT_VERIFIED, c.DOCUMENT_REJECTED, c.DOCUMENT_EXPIRED,
             c.DOCUMENTS_COMPLETED)
    def on_documents_changed(self, event):
        """The worker's checklist: eligibility, and the seat lost when it stops being complete."""
        self.db.apply_once(event, lambda uow: usecases.documents_changed(
            uow, event, self.clock.now()))
