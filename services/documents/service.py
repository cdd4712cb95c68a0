"""The documents service: each worker's documents, the desk's decisions, and the checklist."""

from __future__ import annotations

import base64

from pmi_common import contract as c
from pmi_common.clock import Clock
from pmi_common.context import LogContext
from pmi_common.inbox import handles
from pmi_common.introductions import meet_worker
from pmi_common.metrics import MetricsServer
from pmi_common.operations import ServiceOperations
from pmi_common.rpc import TimedRpcProxy, rpc
from pmi_common.schedule import every
from pmi_common.store import Database

from . import usecases
from .models import metadata
from .schemas import ChecklistView, DocumentView

document_view = DocumentView()
checklist_view = ChecklistView()

EXPIRY_CHECK_SECONDS = 3600


class DocumentsService(ServiceOperations):
    name = c.DOCUMENTS

    db = Database(metadata)
    registration = TimedRpcProxy(c.REGISTRATION)
    metrics = MetricsServer()
    clock = Clock()
    log = LogContext()

    # commands ------------------------------------------------------------------------------

    @rpc
    def submit_document(self, worker_id: str, payload: dict) -> dict:
        self._meet(worker_id)
        return self.db.command(lambda uow: document_view.dump(usecases.submit_document(
            uow, worker_id, payload, self.clock.now(), self.clock.today())))

    @rpc
    def verify_document(self, document_id: str, payload: dict | None = None) -> dict:
        return self.db.command(lambda uow: document_view.dump(usecases.verify_document(
            uow, document_id, payload or {}, self.clock.now(), self.clock.today())))

    @rpc
    def reject_document(self, document_id: str, payload: dict) -> dict:
        return self.db.command(lambda uow: document_view.dump(usecases.reject_document(
            uow, document_id, payload, self.clock.now(), self.clock.today())))

    @rpc
    def expire_documents(self) -> int:
        expired = usecases.expire_documents(self.db.transaction, self.clock.now(),
                                            self.clock.today())
        if expired:
            self.log.info("documents_expired", count=expired)
        return expired

    @every("EXPIRY_CHECK_SECONDS", EXPIRY_CHECK_SECONDS)
    def check_expiry(self) -> None:
        """The scheduled expiry check."""
        self.expire_documents()

    # queries -------------------------------------------------------------------------------

    @rpc
    def get_checklist(self, worker_id: str) -> dict:
        self._meet(worker_id)
        with self.db.read() as session:
            return checklist_view.dump(usecases.get_checklist(session, worker_id,
                                                              self.clock.today()))

    @rpc
    def get_document(self, document_id: str) -> dict:
        with self.db.read() as session:
            return document_view.dump(usecases.get_document(session, document_id))

    @rpc
    def get_document_file(self, document_id: str) -> dict:
        with self.db.read() as session:
            scan = usecases.get_document_file(session, document_id)
            return {"document_id": document_id, "sha256": scan.sha256,
                    "media_type": scan.media_type, "size": scan.size,
                    "content_base64": base64.b64encode(scan.content).decode()}

    @rpc
    def desk_queue(self, query: dict | None = None) -> dict:
        with self.db.read() as session:
            rows, next_cursor = usecases.desk_queue(session, query or {})
            return {"items": document_view.dump(rows, many=True), "next_cursor": next_cursor}

    @rpc
    def desk_stats(self) -> dict:
        with self.db.read() as session:
            return usecases.desk_stats(session, self.clock.now())

    # events from the registration service --------------------------------------------------

    def _meet(self, worker_id: str) -> None:
        """A worker registration accepted a moment ago is never unknown here (see
        ``pmi_common.introductions``)."""
        meet_worker(worker_id, self._knows, self.registration,
                    {c.WORKER_REGISTERED: self.on_worker_event,
                     c.WORKER_STATUS_CHANGED: self.on_worker_event})

    def _knows(self, worker_id: str) -> bool:
        with self.db.read() as session:
            return usecases.knows_worker(session, worker_id)

    @handles(c.WORKER_REGISTERED, c.WORKER_STATUS_CHANGED)
    def on_worker_event(self, event):
        """A worker exists, starts a new cycle or changes status: keep our copy current."""
        self.db.apply_once(event,
                           lambda uow: usecases.apply_worker_event(uow, event, self.clock.now()))
