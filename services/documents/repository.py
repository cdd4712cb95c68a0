"""Where the documents service's state is kept: the only module of the service that speaks SQL.

The domain's ``Worker`` and ``Document`` are mapped onto their tables, so the objects a handler
changes are the ones the session flushes when the unit of work commits. A scan is a value, kept
once by its digest, and read back as a ``ScannedFile``.

Every change to a worker's checklist holds that worker's row locked (``lock_worker``), so the
``checklist_complete`` each event carries is the checklist as it stands after that event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.orm import Session, registry
from sqlalchemy.sql import Select

from pmi_common.store import hold_rows, insert_if_absent, is_id

from .domain import (
    ABROAD_STATUSES,
    EXPIRED,
    EXPIRY_WARNINGS,
    RENEWED_ABROAD,
    REQUIRED_TYPES,
    VERIFIED,
    WARNED_STATUSES,
    Document,
    ScannedFile,
    Worker,
    percentile,
)
from .models import document_files, documents, workers

mappers = registry()
mappers.map_imperatively(Worker, workers)
mappers.map_imperatively(Document, documents)


class DocumentsRepository:
    def __init__(self, session: Session):
        self.session = session
        self._held: dict[str, Worker] = {}  # workers this unit of work locked by hold_workers
        self._without_documents: set[str] = set()  # ... of them, those with none in a checklist

    # workers -----------------------------------------------------------------------------

    def add_worker_if_absent(self, worker: Worker) -> bool:
        """Keep a worker heard of for the first time; True when this call added them (two
        deliveries racing to add the same worker both succeed, and only one adds)."""
        return insert_if_absent(
            self.session,
            workers,
            "id",
            id=worker.id,
            cycle=worker.cycle,
            status=worker.status,
            sequence=worker.sequence,
            documents_complete=worker.documents_complete,
            known_since=worker.known_since,
            updated_at=worker.updated_at,
        )

    def hold_workers(self, worker_ids: Iterable[str], now: dt.datetime) -> None:
        """Lock the workers a batch of registration's events is about, each recorded blank
        (cycle 0, no status) if this is the first word about them, for the events to fill in;
        and note which have no document in a checklist. ``lock_worker_heard_of`` and
        ``checklist`` then answer for them without asking the database again."""
        held, added = hold_rows(
            self.session,
            Worker,
            workers,
            worker_ids,
            lambda worker_id: {
                "id": worker_id,
                "cycle": 0,
                "status": "",
                "sequence": 0,
                "documents_complete": False,
                "known_since": now,
                "updated_at": now,
            },
        )
        known = [worker_id for worker_id in held if worker_id not in added]
        with_documents = (
            set(
                self.session.scalars(
                    select(documents.c.worker_id)
                    .distinct()
                    .where(documents.c.worker_id.in_(known), documents.c.in_checklist)
                )
            )
            if known
            else set()
        )
        self._held.update(held)
        self._without_documents.update(set(held) - with_documents)

    def lock_worker_heard_of(self, worker_id: str, now: dt.datetime) -> Worker:
        """The worker a word from registration is about, locked (see ``hold_workers``)."""
        if worker_id not in self._held:
            self.hold_workers([worker_id], now)
        return self._held[worker_id]

    def get_worker(self, worker_id: str) -> Worker | None:
        return self.session.get(Worker, worker_id) if is_id(worker_id) else None

    def lock_worker(self, worker_id: str) -> Worker | None:
        """The worker, held until the unit of work ends: every change to their checklist
        takes this lock first."""
        if not is_id(worker_id):
            return None
        return self.session.scalars(
            select(Worker)
            .where(workers.c.id == worker_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()

    def lock_workers(self, worker_ids: Iterable[str]) -> list[Worker]:
        """Several workers, locked in the order of their ids (the same order everywhere)."""
        return list(
            self.session.scalars(
                select(Worker)
                .where(workers.c.id.in_(list(worker_ids)))
                .order_by(workers.c.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        )

    # documents ---------------------------------------------------------------------------

    def get_document(self, document_id: str) -> Document | None:
        return self.session.get(Document, document_id) if is_id(document_id) else None

    def lock_document(self, document_id: str) -> Document | None:
        """The document, held until the unit of work ends (take its worker's lock first)."""
        if not is_id(document_id):
            return None
        return self.session.scalars(
            select(Document)
            .where(documents.c.id == document_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()

    def checklist(self, worker: Worker) -> dict[str, Document]:
        """The worker's latest document of each type submitted in their current cycle."""
        if worker.id in self._without_documents:
            return {}
        found = self.session.scalars(
            select(Document).where(
                documents.c.worker_id == worker.id,
                documents.c.cycle == worker.cycle,
                documents.c.in_checklist,
            )
        )
        return {document.document_type: document for document in found}

    def add_document(self, document: Document) -> None:
        # the unit of work updates before it inserts: a replaced document leaves the
        # checklist's unique index before its successor enters it
        self._without_documents.discard(document.worker_id)
        self.session.add(document)

    def awaiting_decision(
        self, document_type: str | None, after: tuple[dt.datetime, str] | None, limit: int
    ) -> list[Document]:
        """The desk's queue, oldest first: documents waiting for a decision after ``after``
        (their ``(submitted_at, id)``)."""
        return list(self.session.scalars(select_awaiting_decision(document_type, after, limit)))

    def workers_due_for_expiry(self, today: dt.date, limit: int) -> set[str]:
        """The workers of (up to) the ``limit`` verified documents that lapsed first."""
        return set(self.session.scalars(select_due_for_expiry(today, limit)))

    def lock_due_documents(self, worker_id: str, today: dt.date) -> list[Document]:
        """The worker's verified documents in the checklist that lapsed before ``today``,
        locked, the first to lapse first."""
        return list(
            self.session.scalars(
                select(Document)
                .where(
                    documents.c.worker_id == worker_id,
                    documents.c.status == VERIFIED,
                    documents.c.in_checklist,
                    documents.c.expires_on < today,
                )
                .order_by(documents.c.expires_on, documents.c.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        )

    def lock_due_a_warning(self, today: dt.date, limit: int) -> list[Document]:
        """Up to ``limit`` verified passports and work visas of the current cycle of workers
        before departure or abroad, due a lapse warning on ``today`` (within 60 days of their
        expiry and not yet warned at that distance, or within 30 and warned only at 60), the
        first to lapse first; locked, skipping those another check holds."""
        warned = documents.c.expiry_warned_days
        due = [
            and_(warned > days, documents.c.expires_on <= today + dt.timedelta(days=days))
            for days in EXPIRY_WARNINGS
        ]
        return list(
            self.session.scalars(
                select(Document)
                .join(workers, workers.c.id == documents.c.worker_id)
                .where(
                    documents.c.status == VERIFIED,
                    documents.c.in_checklist,
                    documents.c.cycle == workers.c.cycle,
                    documents.c.document_type.in_(sorted(RENEWED_ABROAD)),
                    workers.c.status.in_(sorted(WARNED_STATUSES)),
                    documents.c.expires_on >= today,
                    documents.c.expires_on <= today + dt.timedelta(days=max(EXPIRY_WARNINGS)),
                    or_(warned.is_(None), *due),
                )
                .order_by(documents.c.expires_on, documents.c.id)
                .limit(limit)
                .with_for_update(of=documents, skip_locked=True)
                .execution_options(populate_existing=True)
            )
        )

    def lapsed_abroad(self, after: tuple[dt.date, str] | None, limit: int) -> list[Document]:
        """The desk's list of documents lapsed abroad, newest lapse first (by expiry date, then
        id, before ``after``): the expired passports and work visas of the current cycle of
        workers abroad, no later submission of whose type was verified since."""
        return list(self.session.scalars(select_lapsed_abroad(after, limit)))

    # scans -------------------------------------------------------------------------------

    def scan_used_by_another_worker(self, sha256: str, worker_id: str) -> bool:
        return (
            self.session.scalar(
                select(documents.c.id)
                .where(documents.c.file_sha256 == sha256, documents.c.worker_id != worker_id)
                .limit(1)
            )
            is not None
        )

    def add_scan(self, scan: ScannedFile, now: dt.datetime) -> None:
        """Keep a scan once, by its digest (the same file again adds nothing)."""
        insert_if_absent(
            self.session,
            document_files,
            "sha256",
            sha256=scan.sha256,
            media_type=scan.media_type,
            size=scan.size,
            content=scan.content,
            stored_at=now,
        )

    def get_scan(self, sha256: str) -> ScannedFile | None:
        row = self.session.execute(
            select(
                document_files.c.content,
                document_files.c.media_type,
                document_files.c.sha256,
            ).where(document_files.c.sha256 == sha256)
        ).first()
        return ScannedFile(row.content, row.media_type, row.sha256) if row else None

    # the desk's figures ------------------------------------------------------------------

    def backlog(self) -> dict[str, int]:
        """How many documents of each required type wait for a decision."""
        counts = dict.fromkeys(REQUIRED_TYPES, 0)
        counts.update(
            self.session.execute(
                select(documents.c.document_type, func.count())
                .where(documents.c.awaiting_decision)
                .group_by(documents.c.document_type)
            ).all()
        )
        return counts

    def oldest_waiting_since(self) -> dt.datetime | None:
        return self.session.scalar(
            select(func.min(documents.c.submitted_at)).where(documents.c.awaiting_decision)
        )

    def decision_times(
        self, since: dt.datetime, document_type: str | None = None
    ) -> tuple[int, float | None, float | None]:
        """How many decisions since ``since`` (of one type, or all) and the median and 90th
        percentile of their time from submission, in seconds (computed by PostgreSQL;
        elsewhere over the window's rows)."""
        seconds = documents.c.decision_seconds
        window = [documents.c.decided_at.is_not(None), documents.c.decided_at >= since]
        if document_type is not None:
            window.append(documents.c.document_type == document_type)
        if self.session.bind.dialect.name == "postgresql":
            count, median, p90 = self.session.execute(
                select(
                    func.count(seconds),
                    func.percentile_cont(0.5).within_group(seconds),
                    func.percentile_cont(0.9).within_group(seconds),
                ).where(*window)
            ).one()
            return count, median, p90
        values = [
            value
            for value in self.session.scalars(select(seconds).where(*window))
            if value is not None
        ]
        return len(values), percentile(values, 0.5), percentile(values, 0.9)


# what the desk's queue and the expiry check read, through their partial indexes ----------------


def select_awaiting_decision(
    document_type: str | None, after: tuple[dt.datetime, str] | None, limit: int
) -> Select:
    stmt = select(Document).where(documents.c.awaiting_decision)
    if document_type:
        stmt = stmt.where(documents.c.document_type == document_type)
    if after:
        stmt = stmt.where(tuple_(documents.c.submitted_at, documents.c.id) > tuple_(*after))
    return stmt.order_by(documents.c.submitted_at, documents.c.id).limit(limit)


def select_lapsed_abroad(after: tuple[dt.date, str] | None, limit: int) -> Select:
    renewal = documents.alias("renewal")
    renewed = (
        select(renewal.c.id)
        .where(
            renewal.c.worker_id == documents.c.worker_id,
            renewal.c.cycle == documents.c.cycle,
            renewal.c.document_type == documents.c.document_type,
            renewal.c.status.in_((VERIFIED, EXPIRED)),  # verified, whatever became of it since
            renewal.c.submitted_at > documents.c.submitted_at,
        )
        .exists()
    )
    stmt = (
        select(Document)
        .join(workers, workers.c.id == documents.c.worker_id)
        .where(
            documents.c.status == EXPIRED,
            documents.c.document_type.in_(RENEWED_ABROAD),
            workers.c.status.in_(ABROAD_STATUSES),
            documents.c.cycle == workers.c.cycle,
            ~renewed,
        )
    )
    if after:
        stmt = stmt.where(tuple_(documents.c.expires_on, documents.c.id) < tuple_(*after))
    return stmt.order_by(documents.c.expires_on.desc(), documents.c.id.desc()).limit(limit)


def select_due_for_expiry(today: dt.date, limit: int) -> Select:
    return (
        select(documents.c.worker_id)
        .where(
            documents.c.status == VERIFIED, documents.c.in_checklist, documents.c.expires_on < today
        )
        .order_by(documents.c.expires_on)
        .limit(limit)
    )
