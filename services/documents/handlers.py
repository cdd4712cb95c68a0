"""What the documents service does: each command, query and event it handles, as a plain function
over a unit of work (or, for a query, the repository).

A command loads its input, decides with the domain, changes domain objects through
``uow.repository`` and announces the change with ``uow.publish``; the unit of work commits both
together. The tables at the bottom list every handler.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from pmi_common import contract as c
from pmi_common.errors import InvalidInput, NotFound
from pmi_common.events import Event
from pmi_common.identity import mask_number
from pmi_common.lifecycle import REGISTERED
from pmi_common.paging import decode_cursor, page
from pmi_common.unit_of_work import UnitOfWork
from pmi_common.validation import load

from .domain import (
    ABROAD_STATUSES,
    DECISION_WINDOW,
    REJECTED,
    REQUIRED_TYPES,
    VERIFIED,
    Document,
    ScannedFile,
    Worker,
    checklist,
    earliest_expiry,
    ensure_accepts_documents,
    ensure_decidable,
    ensure_may_decide,
    ensure_scanned,
    ensure_separate_duties,
    expiry_warning,
    follow_registration,
    is_complete,
    is_repeat,
    lapsed_abroad,
    who,
)
from .schemas import (
    DeskQuery,
    LapsedAbroadQuery,
    RejectDocument,
    SubmitDocument,
    VerifyDocument,
)

if TYPE_CHECKING:
    from .repository import DocumentsRepository

EXPIRY_BATCH = 200  # documents whose workers one expiry transaction takes, at most


# commands -------------------------------------------------------------------------------


def submit_document(
    uow: UnitOfWork[DocumentsRepository],
    worker_id: str,
    payload: dict,
    now: dt.datetime,
    today: dt.date,
) -> Document:
    """A document for the worker's checklist. The same submission again while the first one
    waits for a decision is that first one; a new one replaces the previous of its type."""
    data = load(SubmitDocument(today=today), payload)
    repository = uow.repository
    worker = _locked_worker(repository, worker_id)
    ensure_accepts_documents(worker.status, data["type"])
    scan: ScannedFile | None = data["file"]
    submission = {
        "number": data["number"],
        "issued_on": data["issued_on"],
        "expires_on": data["expires_on"],
        "file_sha256": scan.sha256 if scan else None,
    }
    current = repository.checklist(worker)
    previous = current.get(data["type"])
    if (
        previous is not None
        and previous.awaiting_decision
        and is_repeat(previous.submission(), submission)
    ):
        return previous
    if scan is not None:
        if repository.scan_used_by_another_worker(scan.sha256, worker.id):
            raise InvalidInput(
                "this scan was already submitted for another worker",
                {"file": ["the same file was already submitted for another worker"]},
            )
        repository.add_scan(scan, now)
    document = Document(
        id=str(uuid.uuid4()),
        worker_id=worker.id,
        cycle=worker.cycle,
        document_type=data["type"],
        submitted_at=now,
        submitted_by=who(uow.actor),
        replaces=previous.id if previous else None,
        **submission,
    )
    if previous is not None:
        previous.replace_with(document)
    repository.add_document(document)
    current[document.document_type] = document
    complete, _was = worker.settle(current.values(), today)
    uow.publish(
        c.DOCUMENT_SUBMITTED,
        {
            "document_id": document.id,
            "document_type": document.document_type,
            "checklist_complete": complete,
            "number_masked": mask_number(document.number),
            "issued_on": document.issued_on,
            "expires_on": document.expires_on,
            "file_sha256": document.file_sha256,
        },
        worker_id=worker.id,
    )
    return document


def verify_document(
    uow: UnitOfWork[DocumentsRepository],
    document_id: str,
    payload: dict,
    now: dt.datetime,
    today: dt.date,
) -> Document:
    """The desk's verification; the one that completes the checklist also announces that."""
    data = load(VerifyDocument(), payload)
    ensure_may_decide(uow.actor)
    document, worker = _locked_document(uow.repository, document_id)
    ensure_decidable(document, worker.cycle, worker.status, today, verifying=True)
    ensure_separate_duties(document.submitted_by, who(uow.actor))
    ensure_scanned(document.file_sha256)
    document.decide(VERIFIED, who(uow.actor), now, note=data["note"])
    current = uow.repository.checklist(worker)
    complete, was_complete = worker.settle(current.values(), today)
    uow.publish(
        c.DOCUMENT_VERIFIED,
        {
            "document_id": document.id,
            "document_type": document.document_type,
            "checklist_complete": complete,
            "expires_on": document.expires_on,
        },
        worker_id=worker.id,
    )
    if complete and not was_complete:
        uow.publish(
            c.DOCUMENTS_COMPLETED,
            {
                "document_ids": [current[kind].id for kind in REQUIRED_TYPES],
                "earliest_expiry": earliest_expiry(current.values()),
            },
            worker_id=worker.id,
        )
    return document


def reject_document(
    uow: UnitOfWork[DocumentsRepository],
    document_id: str,
    payload: dict,
    now: dt.datetime,
    today: dt.date,
) -> Document:
    """The desk's rejection, with the reason the worker is told."""
    data = load(RejectDocument(), payload)
    ensure_may_decide(uow.actor)
    document, worker = _locked_document(uow.repository, document_id)
    ensure_decidable(document, worker.cycle, worker.status, today, verifying=False)
    ensure_separate_duties(document.submitted_by, who(uow.actor))
    document.decide(REJECTED, who(uow.actor), now, note=data["note"], reason=data["reason"])
    complete, _was = worker.settle(uow.repository.checklist(worker).values(), today)
    uow.publish(
        c.DOCUMENT_REJECTED,
        {
            "document_id": document.id,
            "document_type": document.document_type,
            "checklist_complete": complete,
            "reason": document.reason,
        },
        worker_id=worker.id,
    )
    return document


def expire_documents(
    uow: UnitOfWork[DocumentsRepository],
    now: dt.datetime,
    today: dt.date,
    batch: int = EXPIRY_BATCH,
) -> int:
    """Expire the verified documents that lapsed before ``today`` (the district's day) of a
    batch of workers; how many were expired. Run again until it expires none: a document
    expires once, even when two instances run the check at once (the second finds it taken).
    A passport or work visa lapsing abroad is also a warning for the desk, to see it renewed."""
    repository = uow.repository
    worker_ids = repository.workers_due_for_expiry(today, batch)
    if not worker_ids:
        return 0
    expired = 0
    for worker in repository.lock_workers(worker_ids):
        due = repository.lock_due_documents(worker.id, today)
        current = repository.checklist(worker)
        for document in due:
            document.expire(now)
            complete, _was = worker.settle(current.values(), today)
            uow.publish(
                c.DOCUMENT_EXPIRED,
                {
                    "document_id": document.id,
                    "document_type": document.document_type,
                    "checklist_complete": complete,
                    "expired_on": document.expires_on,
                },
                worker_id=worker.id,
            )
            if lapsed_abroad(worker.status, document.document_type):
                uow.publish(
                    c.DOCUMENT_LAPSED_ABROAD,
                    {
                        "document_id": document.id,
                        "document_type": document.document_type,
                        "expired_on": document.expires_on,
                    },
                    worker_id=worker.id,
                )
        expired += len(due)
    return expired


def warn_of_expiry(
    uow: UnitOfWork[DocumentsRepository], today: dt.date, batch: int = EXPIRY_BATCH
) -> int:
    """Announce the passports and work visas due to lapse within 60 days, then within 30
    (``document_expiring``: the worker is told, to renew in time, at home or abroad), a batch
    at a time; how many were announced. Run again until it announces none: each document is
    announced once per warning, even when two instances run the check at once."""
    repository = uow.repository
    announced = 0
    for document in repository.lock_due_a_warning(today, batch):
        worker = repository.get_worker(document.worker_id)
        status = worker.status if worker else None
        warning = expiry_warning(
            document.document_type,
            status,
            document.expires_on,
            today,
            document.expiry_warned_days,
        )
        if warning is None or document.expires_on is None:
            continue
        document.expiry_warned_days = warning
        uow.publish(
            c.DOCUMENT_EXPIRING,
            {
                "document_id": document.id,
                "document_type": document.document_type,
                "expires_on": document.expires_on,
                "days_left": (document.expires_on - today).days,
                "warning_days": warning,
                "abroad": status in ABROAD_STATUSES,
            },
            worker_id=document.worker_id,
        )
        announced += 1
    return announced


# events from the registration service ------------------------------------------------------


def on_worker_registered(
    uow: UnitOfWork[DocumentsRepository], event: Event, now: dt.datetime
) -> Worker:
    """A worker registered (or registered again: a new cycle, a new checklist)."""
    worker_id = _worker_id_of(event)
    return _follow(uow, event, worker_id, REGISTERED, now)


def on_worker_status_changed(
    uow: UnitOfWork[DocumentsRepository], event: Event, now: dt.datetime
) -> Worker:
    """A worker's status moved: a withdrawn or departed worker's submissions leave the queue."""
    worker_id = _worker_id_of(event)
    return _follow(uow, event, worker_id, event.data["to_status"], now)


def _worker_id_of(event: Event) -> str:
    if not event.worker_id:
        raise InvalidInput(f"{event.event_type} without a worker_id", {"worker_id": ["missing"]})
    return event.worker_id


def _follow(
    uow: UnitOfWork[DocumentsRepository],
    event: Event,
    worker_id: str,
    status: str,
    now: dt.datetime,
) -> Worker:
    """Keep registration's word about the worker (recorded the first time it is heard)."""
    repository = uow.repository
    worker = repository.lock_worker_heard_of(worker_id, now)
    follow_registration(
        worker, repository.checklist(worker).values(), event.data["cycle"], event.sequence, status
    )
    worker.updated_at = now
    return worker


# queries --------------------------------------------------------------------------------


def knows_worker(repository: DocumentsRepository, worker_id: str) -> bool:
    return repository.get_worker(worker_id) is not None


def get_checklist(repository: DocumentsRepository, worker_id: str, today: dt.date) -> dict:
    """Each required type with the worker's latest document and its status; ``complete``."""
    worker = repository.get_worker(worker_id)
    if worker is None:
        raise NotFound(f"no worker {worker_id} is known to the documents service")
    current = repository.checklist(worker)
    return {
        "worker_id": worker.id,
        "complete": is_complete(current.values(), today),
        "items": [
            {"type": kind, "status": status, "document": current.get(kind)}
            for kind, status in checklist(current.values(), today)
        ],
    }


def get_document(repository: DocumentsRepository, document_id: str) -> Document:
    document = repository.get_document(document_id)
    if document is None:
        raise NotFound(f"no document {document_id}")
    return document


def get_document_file(
    repository: DocumentsRepository, document_id: str, worker_id: str | None = None
) -> ScannedFile:
    """A document's scan; asked about a worker, only a scan of one of that worker's documents
    (another's is as unknown)."""
    document = get_document(repository, document_id)
    if worker_id is not None and document.worker_id != worker_id:
        raise NotFound(f"no document {document_id} of worker {worker_id}")
    scan = repository.get_scan(document.file_sha256) if document.file_sha256 else None
    if scan is None:
        raise NotFound(f"document {document_id} has no scan")
    return scan


def desk_queue(repository: DocumentsRepository, query: dict) -> tuple[list[Document], str | None]:
    """Documents awaiting a decision, oldest first, a page at a time (``next_cursor``)."""
    params = load(DeskQuery(), query)
    after = decode_cursor(params["cursor"], (dt.datetime, str)) if params.get("cursor") else None
    limit = params["limit"]
    found = repository.awaiting_decision(params.get("type"), after, limit + 1)
    return page(found, limit, key=lambda document: (document.submitted_at, document.id))


def desk_lapsed_abroad(
    repository: DocumentsRepository, query: dict
) -> tuple[list[Document], str | None]:
    """The desk's warnings: passports and work visas that lapsed while their workers are
    abroad and are not renewed yet (a renewal verified takes one off), newest lapse first, a
    page at a time (``next_cursor``)."""
    params = load(LapsedAbroadQuery(), query)
    after = decode_cursor(params["cursor"], (dt.date, str)) if params.get("cursor") else None
    limit = params["limit"]
    found = repository.lapsed_abroad(after, limit + 1)
    return page(found, limit, key=lambda document: (document.expires_on, document.id))


def desk_stats(repository: DocumentsRepository, now: dt.datetime) -> dict:
    """The backlog as it stands, and decision times over the last ``DECISION_WINDOW``."""
    backlog = repository.backlog()
    oldest = repository.oldest_waiting_since()
    since = now - DECISION_WINDOW
    decisions, median, p90 = repository.decision_times(since)
    by_type = {}
    for document_type in REQUIRED_TYPES:
        count, type_median, type_p90 = repository.decision_times(since, document_type)
        by_type[document_type] = {
            "backlog": backlog[document_type],
            "decisions": count,
            "median_decision_seconds": type_median,
            "p90_decision_seconds": type_p90,
        }
    return {
        "backlog": backlog,
        "oldest_waiting_since": oldest.isoformat() if oldest else None,
        "decisions": decisions,
        "median_decision_seconds": median,
        "p90_decision_seconds": p90,
        "by_type": by_type,
        "window_days": DECISION_WINDOW.days,
    }


# helpers --------------------------------------------------------------------------------


def _locked_worker(repository: DocumentsRepository, worker_id: str) -> Worker:
    worker = repository.lock_worker(worker_id) if worker_id else None
    if worker is None:
        raise NotFound(
            f"no worker {worker_id} is known to the documents service", {"worker_id": worker_id}
        )
    return worker


def _locked_document(repository: DocumentsRepository, document_id: str) -> tuple[Document, Worker]:
    """The document and its worker, the worker locked first (the order every change takes)."""
    found = get_document(repository, document_id)
    worker = _locked_worker(repository, found.worker_id)
    document = repository.lock_document(found.id)
    assert document is not None  # found above; documents are never deleted
    return document, worker


COMMANDS = {
    "submit_document": submit_document,
    "verify_document": verify_document,
    "reject_document": reject_document,
    "expire_documents": expire_documents,
    "warn_of_expiry": warn_of_expiry,
}
QUERIES = {
    "knows_worker": knows_worker,
    "get_checklist": get_checklist,
    "get_document": get_document,
    "get_document_file": get_document_file,
    "desk_queue": desk_queue,
    "desk_stats": desk_stats,
    "desk_lapsed_abroad": desk_lapsed_abroad,
}
EVENTS = {
    c.WORKER_REGISTERED: on_worker_registered,
    c.WORKER_STATUS_CHANGED: on_worker_status_changed,
}
