"""The documents service's use cases: load, decide with the domain, store, publish.

Every change to a worker's checklist holds that worker's row locked, so the ``checklist_complete``
each event carries is the checklist as it stands after that event, and ``documents_completed`` is
announced once per time the checklist becomes complete.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from pmi_common import contract as c
from pmi_common.errors import InvalidInput, NotFound
from pmi_common.events import Event
from pmi_common.identity import mask_number
from pmi_common.store import UnitOfWork, insert_if_absent
from pmi_common.validation import load

from .domain import (
    ACCEPTING_STATUSES,
    EXPIRED,
    REGISTERED,
    REJECTED,
    REQUIRED_TYPES,
    SUBMITTED,
    VERIFIED,
    DocumentState,
    ScannedFile,
    WorkerCopy,
    business_date,
    checklist,
    earliest_expiry,
    ensure_accepts_documents,
    ensure_decidable,
    ensure_may_decide,
    ensure_scanned,
    ensure_separate_duties,
    is_complete,
    is_repeat,
    percentile,
)
from .models import DocumentFileRow, DocumentRow, WorkerRow
from .schemas import DeskQuery, RejectDocument, SubmitDocument, VerifyDocument

EXPIRY_BATCH = 200
DECISION_WINDOW = dt.timedelta(days=30)


# commands -------------------------------------------------------------------------------

def submit_document(uow: UnitOfWork, worker_id: str, payload: dict,
                    now: dt.datetime) -> DocumentRow:
    today = business_date(now)
    data = load(SubmitDocument(today=today), payload)
    session = uow.session
    worker = _locked_worker(session, worker_id)
    ensure_accepts_documents(worker.status)
    scan: ScannedFile | None = data["file"]
    submission = {"number": data["number"], "issued_on": data["issued_on"],
                  "expires_on": data["expires_on"],
                  "file_sha256": scan.sha256 if scan else None}
    previous = _in_checklist(session, worker).get(data["type"])
    if previous is not None and previous.awaiting_decision and is_repeat(
            _submission_of(previous), submission):
        return previous
    if scan is not None:
        _keep_scan(session, worker.id, scan, now)
    document = DocumentRow(
        id=str(uuid.uuid4()), worker_id=worker.id, cycle=worker.cycle,
        document_type=data["type"], status=SUBMITTED, in_checklist=True,
        awaiting_decision=True, submitted_at=now, submitted_by=_who(uow.actor),
        replaces=previous.id if previous else None,
        **submission,
    )
    if previous is not None:
        previous.in_checklist = previous.awaiting_decision = False
        previous.replaced_by = document.id
        session.flush()
    session.add(document)
    session.flush()
    complete, _was = _settle(session, worker, today)
    uow.publish(c.DOCUMENT_SUBMITTED, {
        "document_id": document.id, "document_type": document.document_type,
        "checklist_complete": complete, "number_masked": mask_number(document.number),
        "issued_on": document.issued_on, "expires_on": document.expires_on,
        "file_sha256": document.file_sha256,
    }, worker_id=worker.id)
    return document


def verify_document(uow: UnitOfWork, document_id: str, payload: dict,
                    now: dt.datetime) -> DocumentRow:
    data = load(VerifyDocument(), payload)
    today = business_date(now)
    ensure_may_decide(uow.actor)
    document, worker = _locked_document(uow.session, document_id)
    ensure_decidable(_state(document), worker.cycle, worker.status, today, verifying=True)
    ensure_separate_duties(document.submitted_by, _who(uow.actor))
    ensure_scanned(document.file_sha256)
    _decide(document, VERIFIED, uow.actor, now, note=data["note"])
    complete, was_complete = _settle(uow.session, worker, today)
    uow.publish(c.DOCUMENT_VERIFIED, {
        "document_id": document.id, "document_type": document.document_type,
        "checklist_complete": complete, "expires_on": document.expires_on,
    }, worker_id=worker.id)
    if complete and not was_complete:
        current = _in_checklist(uow.session, worker)
        uow.publish(c.DOCUMENTS_COMPLETED, {
            "document_ids": [current[kind].id for kind in REQUIRED_TYPES],
            "earliest_expiry": earliest_expiry(_state(d) for d in current.values()),
        }, worker_id=worker.id)
    return document


def reject_document(uow: UnitOfWork, document_id: str, payload: dict,
                    now: dt.datetime) -> DocumentRow:
    data = load(RejectDocument(), payload)
    today = business_date(now)
    ensure_may_decide(uow.actor)
    document, worker = _locked_document(uow.session, document_id)
    ensure_decidable(_state(document), worker.cycle, worker.status, today, verifying=False)
    ensure_separate_duties(document.submitted_by, _who(uow.actor))
    _decide(document, REJECTED, uow.actor, now, note=data["note"], reason=data["reason"])
    complete, _was = _settle(uow.session, worker, today)
    uow.publish(c.DOCUMENT_REJECTED, {
        "document_id": document.id, "document_type": document.document_type,
        "checklist_complete": complete, "reason": document.reason,
    }, worker_id=worker.id)
    return document


def expire_documents(transaction: Callable[[], AbstractContextManager[UnitOfWork]],
                     now: dt.datetime, batch: int = EXPIRY_BATCH) -> int:
    """Expire every verified document past its expiry date, a batch of workers per transaction;
    the number expired. Running it again, or on two instances at once, expires nothing twice."""
    today = business_date(now)
    total = 0
    while True:
        with transaction() as uow:
            worker_ids = set(uow.session.scalars(due_for_expiry(today, batch)))
            if not worker_ids:
                return total
            workers = uow.session.scalars(
                select(WorkerRow).where(WorkerRow.id.in_(worker_ids))
                .order_by(WorkerRow.id).with_for_update()
            ).all()
            expired = sum(_expire_for(uow, worker, today, now) for worker in workers)
        if expired == 0:  # another instance took them meanwhile
            return total
        total += expired


def due_for_expiry(today: dt.date, limit: int) -> Select:
    """Whose documents are due, read through the expiry index."""
    return (select(DocumentRow.worker_id)
            .where(DocumentRow.status == VERIFIED, DocumentRow.in_checklist,
                   DocumentRow.expires_on < today)
            .order_by(DocumentRow.expires_on).limit(limit))


def _expire_for(uow: UnitOfWork, worker: WorkerRow, today: dt.date, now: dt.datetime) -> int:
    due = uow.session.scalars(
        select(DocumentRow).where(
            DocumentRow.worker_id == worker.id, DocumentRow.status == VERIFIED,
            DocumentRow.in_checklist, DocumentRow.expires_on < today,
        ).order_by(DocumentRow.expires_on, DocumentRow.id)
        .with_for_update().execution_options(populate_existing=True)
    ).all()
    for document in due:
        document.status, document.expired_at = EXPIRED, now
        uow.session.flush()
        complete, _was = _settle(uow.session, worker, today)
        uow.publish(c.DOCUMENT_EXPIRED, {
            "document_id": document.id, "document_type": document.document_type,
            "checklist_complete": complete, "expired_on": document.expires_on,
        }, worker_id=worker.id)
    return len(due)


# events from the registration service ------------------------------------------------------

def apply_worker_event(uow: UnitOfWork, event: Event, now: dt.datetime) -> WorkerRow:
    """The worker exists (and in which cycle and status): keep our copy up to date."""
    if not event.worker_id:
        raise InvalidInput(f"{event.event_type} without a worker_id", {"worker_id": ["missing"]})
    data, session = event.data, uow.session
    status = REGISTERED if event.event_type == c.WORKER_REGISTERED else data["to_status"]
    created = insert_if_absent(
        session, WorkerRow.__table__, "id", id=event.worker_id, cycle=data["cycle"],
        status=status, sequence=event.sequence, documents_complete=False, known_since=now,
        updated_at=now)
    worker = session.scalars(
        select(WorkerRow).where(WorkerRow.id == event.worker_id).with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if created:
        return worker
    copy = WorkerCopy(worker.cycle, worker.status, worker.sequence)
    if copy.learn(event.sequence, data["cycle"], status):
        session.execute(update(DocumentRow).where(
            DocumentRow.worker_id == worker.id, DocumentRow.in_checklist,
        ).values(in_checklist=False, awaiting_decision=False))
        worker.documents_complete = False
    worker.cycle, worker.status, worker.sequence = copy.cycle, copy.status, copy.sequence
    worker.updated_at = now
    session.execute(update(DocumentRow).where(
        DocumentRow.worker_id == worker.id, DocumentRow.in_checklist,
        DocumentRow.status == SUBMITTED,
    ).values(awaiting_decision=worker.status in ACCEPTING_STATUSES))
    return worker


# queries --------------------------------------------------------------------------------

def get_checklist(session: Session, worker_id: str, today: dt.date) -> dict:
    worker = session.get(WorkerRow, worker_id) if _is_id(worker_id) else None
    if worker is None:
        raise NotFound(f"no worker {worker_id} is known to the documents service")
    current = _in_checklist(session, worker)
    states = [_state(d) for d in current.values()]
    return {
        "worker_id": worker.id,
        "complete": is_complete(states, today),
        "items": [{"type": kind, "status": status, "document": current.get(kind)}
                  for kind, status in checklist(states, today)],
    }


def get_document(session: Session, document_id: str) -> DocumentRow:
    document = session.get(DocumentRow, document_id) if _is_id(document_id) else None
    if document is None:
        raise NotFound(f"no document {document_id}")
    return document


def get_document_file(session: Session, document_id: str) -> DocumentFileRow:
    document = get_document(session, document_id)
    scan = session.get(DocumentFileRow, document.file_sha256) if document.file_sha256 else None
    if scan is None:
        raise NotFound(f"document {document_id} has no scan")
    return scan


def desk_queue(session: Session, query: dict) -> tuple[list[DocumentRow], str | None]:
    """Documents awaiting a decision, oldest first; keyset pagination on (submitted_at, id)."""
    params = load(DeskQuery(), query)
    after = _read_cursor(params["cursor"]) if params.get("cursor") else None
    limit = params["limit"]
    rows = list(session.scalars(awaiting_decision(params.get("type"), after, limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (_cursor(rows[-1]) if more else None)


def awaiting_decision(document_type: str | None, after: tuple[dt.datetime, str] | None,
                      limit: int) -> Select:
    """The desk's queue, read through the queue indexes."""
    stmt = select(DocumentRow).where(DocumentRow.awaiting_decision)
    if document_type:
        stmt = stmt.where(DocumentRow.document_type == document_type)
    if after:
        stmt = stmt.where(tuple_(DocumentRow.submitted_at, DocumentRow.id) > tuple_(*after))
    return stmt.order_by(DocumentRow.submitted_at, DocumentRow.id).limit(limit)


def desk_stats(session: Session, now: dt.datetime) -> dict:
    """The backlog as it stands, and decision times over the last ``DECISION_WINDOW``
    (percentiles computed by PostgreSQL; elsewhere over the window's rows)."""
    awaiting = DocumentRow.awaiting_decision
    backlog = dict.fromkeys(REQUIRED_TYPES, 0)
    backlog.update(session.execute(
        select(DocumentRow.document_type, func.count()).where(awaiting)
        .group_by(DocumentRow.document_type)).all())
    oldest = session.scalar(select(func.min(DocumentRow.submitted_at)).where(awaiting))
    decisions, median, p90 = _decision_times(session, now - DECISION_WINDOW)
    return {
        "backlog": backlog,
        "oldest_waiting_since": _aware(oldest).isoformat() if oldest else None,
        "decisions": decisions,
        "median_decision_seconds": median,
        "p90_decision_seconds": p90,
        "window_days": DECISION_WINDOW.days,
    }


def _decision_times(session: Session, since: dt.datetime) -> tuple[int, float | None,
                                                                  float | None]:
    seconds = DocumentRow.decision_seconds
    window = (DocumentRow.decided_at.is_not(None), DocumentRow.decided_at >= since)
    if session.bind.dialect.name == "postgresql":
        count, median, p90 = session.execute(select(
            func.count(seconds),
            func.percentile_cont(0.5).within_group(seconds),
            func.percentile_cont(0.9).within_group(seconds),
        ).where(*window)).one()
        return count, median, p90
    values = list(session.scalars(select(seconds).where(*window)))
    return len(values), percentile(values, 0.5), percentile(values, 0.9)


# helpers --------------------------------------------------------------------------------

def _is_id(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _locked_worker(session: Session, worker_id: str) -> WorkerRow:
    worker = None
    if worker_id and _is_id(worker_id):
        worker = session.scalars(
            select(WorkerRow).where(WorkerRow.id == worker_id).with_for_update()
            .execution_options(populate_existing=True)
        ).first()
    if worker is None:
        raise NotFound(f"no worker {worker_id} is known to the documents service",
                       {"worker_id": worker_id})
    return worker


def _locked_document(session: Session, document_id: str) -> tuple[DocumentRow, WorkerRow]:
    """The document and its worker, the worker locked first (the order every change takes)."""
    found = get_document(session, document_id)
    worker = _locked_worker(session, found.worker_id)
    document = session.scalars(
        select(DocumentRow).where(DocumentRow.id == found.id).with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return document, worker


def _in_checklist(session: Session, worker: WorkerRow) -> dict[str, DocumentRow]:
    rows = session.scalars(select(DocumentRow).where(
        DocumentRow.worker_id == worker.id, DocumentRow.cycle == worker.cycle,
        DocumentRow.in_checklist,
    ))
    return {row.document_type: row for row in rows}


def _settle(session: Session, worker: WorkerRow, today: dt.date) -> tuple[bool, bool]:
    """(complete now, complete before) after a change to the worker's checklist."""
    was_complete = worker.documents_complete
    states = [_state(d) for d in _in_checklist(session, worker).values()]
    worker.documents_complete = is_complete(states, today)
    return worker.documents_complete, was_complete


def _state(document: DocumentRow) -> DocumentState:
    return DocumentState(id=document.id, document_type=document.document_type,
                         status=document.status, expires_on=document.expires_on,
                         replaced_by=document.replaced_by, cycle=document.cycle)


def _submission_of(document: DocumentRow) -> dict:
    return {"number": document.number, "issued_on": document.issued_on,
            "expires_on": document.expires_on, "file_sha256": document.file_sha256}


def _decide(document: DocumentRow, status: str, actor: dict | None, now: dt.datetime,
            note: str | None, reason: str | None = None) -> None:
    document.status, document.reason, document.note = status, reason, note
    document.awaiting_decision = False
    document.decided_at = now
    document.decided_by = _who(actor)
    document.decision_seconds = (now - _aware(document.submitted_at)).total_seconds()


def _who(actor: dict | None) -> str | None:
    """Who acted, as the desk's records name them: the token's subject."""
    return (actor.get("subject") or actor.get("role")) if actor else None


def _keep_scan(session: Session, worker_id: str, scan: ScannedFile, now: dt.datetime) -> None:
    """Store a scan once by its digest; one worker's scan is not accepted for another worker."""
    elsewhere = session.scalar(select(DocumentRow.id).where(
        DocumentRow.file_sha256 == scan.sha256, DocumentRow.worker_id != worker_id).limit(1))
    if elsewhere is not None:
        raise InvalidInput("this scan was already submitted for another worker",
                           {"file": ["the same file was already submitted for another worker"]})
    insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(DocumentFileRow).values(
        sha256=scan.sha256, media_type=scan.media_type, size=scan.size, content=scan.content,
        stored_at=now,
    ).on_conflict_do_nothing(index_elements=[DocumentFileRow.sha256]))


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _cursor(document: DocumentRow) -> str:
    raw = f"{_aware(document.submitted_at).isoformat()}|{document.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _read_cursor(cursor: str) -> tuple[dt.datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, document_id = raw.split("|", 1)
        return dt.datetime.fromisoformat(moment), document_id
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput("the cursor is not one this service gave",
                           {"cursor": ["is not a cursor from a previous page"]}) from exc
