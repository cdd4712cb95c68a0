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

from . import handlers
from .models import metadata
from .repository import DocumentsRepository
from .schemas import ChecklistView, DocumentView, LapsedAbroadView

document_view = DocumentView()
checklist_view = ChecklistView()
lapsed_view = LapsedAbroadView()

EXPIRY_CHECK_SECONDS = 3600


class DocumentsService(ServiceOperations):
    name = c.DOCUMENTS

    db = Database(metadata, repository=DocumentsRepository)
    registration = TimedRpcProxy(c.REGISTRATION)
    metrics = MetricsServer()
    clock = Clock()
    log = LogContext()

    # commands ------------------------------------------------------------------------------

    @rpc
    def submit_document(self, worker_id: str, payload: dict) -> dict:
        self._meet(worker_id)
        return self.db.command(
            lambda uow: document_view.dump(
                handlers.submit_document(
                    uow, worker_id, payload, self.clock.now(), self.clock.today()
                )
            )
        )

    @rpc
    def verify_document(self, document_id: str, payload: dict | None = None) -> dict:
        return self.db.command(
            lambda uow: document_view.dump(
                handlers.verify_document(
                    uow, document_id, payload or {}, self.clock.now(), self.clock.today()
                )
            )
        )

    @rpc
    def reject_document(self, document_id: str, payload: dict) -> dict:
        return self.db.command(
            lambda uow: document_view.dump(
                handlers.reject_document(
                    uow, document_id, payload, self.clock.now(), self.clock.today()
                )
            )
        )

    @rpc
    def expire_documents(self) -> int:
        """Expire what lapsed, a batch of workers per transaction; how many were expired."""
        now, today = self.clock.now(), self.clock.today()
        expired = 0
        while True:
            with self.db.transaction() as uow:
                batch = handlers.expire_documents(uow, now, today)
            if not batch:
                break
            expired += batch
        if expired:
            self.log.info("documents_expired", count=expired)
        return expired

    @rpc
    def warn_of_expiry(self) -> int:
        """Announce the passports and work visas due to lapse within 60 and 30 days, a batch
        per transaction; how many were announced."""
        today = self.clock.today()
        announced = 0
        while True:
            with self.db.transaction() as uow:
                batch = handlers.warn_of_expiry(uow, today)
            if not batch:
                break
            announced += batch
        if announced:
            self.log.info("documents_expiring_announced", count=announced)
        return announced

    @every("EXPIRY_CHECK_SECONDS", EXPIRY_CHECK_SECONDS)
    def check_expiry(self) -> None:
        """The scheduled expiry check: what lapsed expires, what lapses soon is announced."""
        self.expire_documents()
        self.warn_of_expiry()

    # queries -------------------------------------------------------------------------------

    @rpc
    def get_checklist(self, worker_id: str) -> dict:
        self._meet(worker_id)
        with self.db.queries() as repository:
            return checklist_view.dump(
                handlers.get_checklist(repository, worker_id, self.clock.today())
            )

    @rpc
    def get_document(self, document_id: str) -> dict:
        with self.db.queries() as repository:
            return document_view.dump(handlers.get_document(repository, document_id))

    @rpc
    def get_document_file(self, document_id: str, worker_id: str | None = None) -> dict:
        with self.db.queries() as repository:
            scan = handlers.get_document_file(repository, document_id, worker_id)
        return {
            "document_id": document_id,
            "sha256": scan.sha256,
            "media_type": scan.media_type,
            "size": scan.size,
            "content_base64": base64.b64encode(scan.content).decode(),
        }

    @rpc
    def desk_queue(self, query: dict | None = None) -> dict:
        with self.db.queries() as repository:
            waiting, next_cursor = handlers.desk_queue(repository, query or {})
            return {"items": document_view.dump(waiting, many=True), "next_cursor": next_cursor}

    @rpc
    def desk_lapsed_abroad(self, query: dict | None = None) -> dict:
        with self.db.queries() as repository:
            lapsed, next_cursor = handlers.desk_lapsed_abroad(repository, query or {})
            return {"items": lapsed_view.dump(lapsed, many=True), "next_cursor": next_cursor}

    @rpc
    def desk_stats(self) -> dict:
        with self.db.queries() as repository:
            return handlers.desk_stats(repository, self.clock.now())

    # events from the registration service --------------------------------------------------

    def _meet(self, worker_id: str) -> None:
        """A worker registration accepted a moment ago is never unknown here (see
        ``pmi_common.introductions``)."""
        meet_worker(
            worker_id,
            self._knows,
            self.registration,
            {
                c.WORKER_REGISTERED: self.on_worker_event,
                c.WORKER_STATUS_CHANGED: self.on_worker_event,
            },
        )

    def _knows(self, worker_id: str) -> bool:
        with self.db.queries() as repository:
            return handlers.knows_worker(repository, worker_id)

    @handles(c.WORKER_REGISTERED, c.WORKER_STATUS_CHANGED)
    def on_worker_event(self, event):
        """A worker exists, starts a new cycle or changes status: keep our copy current."""
        handle = handlers.EVENTS[event.event_type]
        self.db.apply_once(event, lambda uow: handle(uow, event, self.clock.now()))
