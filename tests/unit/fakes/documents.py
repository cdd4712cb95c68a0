"""The documents service's repository in dictionaries: the same methods and answers as
``services.documents.repository.DocumentsRepository`` (``tests/integration/
test_documents_repository.py`` checks both against one contract)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from services.documents.domain import (
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


class FakeDocumentsRepository:
    def __init__(self):
        self.workers: dict[str, Worker] = {}
        self.documents: dict[str, Document] = {}
        self.scans: dict[str, ScannedFile] = {}

    # workers -----------------------------------------------------------------------------

    def add_worker_if_absent(self, worker: Worker) -> bool:
        if worker.id in self.workers:
            return False
        self.workers[worker.id] = worker
        return True

    def hold_workers(self, worker_ids: Iterable[str], now: dt.datetime) -> None:
        for worker_id in worker_ids:
            self.workers.setdefault(
                worker_id,
                Worker(
                    id=worker_id, cycle=0, status="", sequence=0, known_since=now, updated_at=now
                ),
            )

    def lock_worker_heard_of(self, worker_id: str, now: dt.datetime) -> Worker:
        self.hold_workers([worker_id], now)
        return self.workers[worker_id]

    def get_worker(self, worker_id: str) -> Worker | None:
        return self.workers.get(worker_id)

    lock_worker = get_worker

    def lock_workers(self, worker_ids: Iterable[str]) -> list[Worker]:
        return [self.workers[i] for i in sorted(set(worker_ids)) if i in self.workers]

    # documents ---------------------------------------------------------------------------

    def get_document(self, document_id: str) -> Document | None:
        return self.documents.get(document_id)

    lock_document = get_document

    def checklist(self, worker: Worker) -> dict[str, Document]:
        return {
            d.document_type: d
            for d in self.documents.values()
            if d.worker_id == worker.id and d.cycle == worker.cycle and d.in_checklist
        }

    def add_document(self, document: Document) -> None:
        self.documents[document.id] = document

    def awaiting_decision(
        self, document_type: str | None, after: tuple[dt.datetime, str] | None, limit: int
    ) -> list[Document]:
        waiting = sorted(
            (
                d
                for d in self.documents.values()
                if d.awaiting_decision
                and (not document_type or d.document_type == document_type)
                and (after is None or (d.submitted_at, d.id) > after)
            ),
            key=lambda d: (d.submitted_at, d.id),
        )
        return waiting[:limit]

    def _due(self, today: dt.date) -> list[Document]:
        return sorted(
            (
                d
                for d in self.documents.values()
                if d.status == VERIFIED
                and d.in_checklist
                and d.expires_on is not None
                and d.expires_on < today
            ),
            key=lambda d: (d.expires_on, d.id),
        )

    def workers_due_for_expiry(self, today: dt.date, limit: int) -> set[str]:
        return {d.worker_id for d in self._due(today)[:limit]}

    def lock_due_documents(self, worker_id: str, today: dt.date) -> list[Document]:
        return [d for d in self._due(today) if d.worker_id == worker_id]

    def lock_due_a_warning(self, today: dt.date, limit: int) -> list[Document]:
        def due(d: Document) -> bool:
            worker = self.workers.get(d.worker_id)
            if worker is None or d.expires_on is None:
                return False
            days_left = (d.expires_on - today).days
            return (
                d.status == VERIFIED
                and d.in_checklist
                and d.cycle == worker.cycle
                and d.document_type in RENEWED_ABROAD
                and worker.status in WARNED_STATUSES
                and 0 <= days_left <= max(EXPIRY_WARNINGS)
                and (
                    d.expiry_warned_days is None
                    or any(d.expiry_warned_days > w and days_left <= w for w in EXPIRY_WARNINGS)
                )
            )

        return sorted(
            (d for d in self.documents.values() if due(d)), key=lambda d: (d.expires_on, d.id)
        )[:limit]

    def lapsed_abroad(self, after: tuple[dt.date, str] | None, limit: int) -> list[Document]:
        def renewed(lapsed: Document) -> bool:
            return any(
                d.worker_id == lapsed.worker_id
                and d.cycle == lapsed.cycle
                and d.document_type == lapsed.document_type
                and d.status in (VERIFIED, EXPIRED)
                and d.submitted_at > lapsed.submitted_at
                for d in self.documents.values()
            )

        found = [
            d
            for d in self.documents.values()
            if d.status == EXPIRED
            and d.document_type in RENEWED_ABROAD
            and (worker := self.workers.get(d.worker_id)) is not None
            and worker.status in ABROAD_STATUSES
            and d.cycle == worker.cycle
            and not renewed(d)
            and (after is None or (d.expires_on, d.id) < after)
        ]
        return sorted(found, key=lambda d: (d.expires_on, d.id), reverse=True)[:limit]

    # scans -------------------------------------------------------------------------------

    def scan_used_by_another_worker(self, sha256: str, worker_id: str) -> bool:
        return any(
            d.file_sha256 == sha256 and d.worker_id != worker_id for d in self.documents.values()
        )

    def add_scan(self, scan: ScannedFile, now: dt.datetime) -> None:
        self.scans.setdefault(scan.sha256, scan)

    def get_scan(self, sha256: str) -> ScannedFile | None:
        return self.scans.get(sha256)

    # the desk's figures ------------------------------------------------------------------

    def backlog(self) -> dict[str, int]:
        counts = dict.fromkeys(REQUIRED_TYPES, 0)
        for document in self.documents.values():
            if document.awaiting_decision:
                counts[document.document_type] = counts.get(document.document_type, 0) + 1
        return counts

    def oldest_waiting_since(self) -> dt.datetime | None:
        return min(
            (d.submitted_at for d in self.documents.values() if d.awaiting_decision), default=None
        )

    def decision_times(
        self, since: dt.datetime, document_type: str | None = None
    ) -> tuple[int, float | None, float | None]:
        values = [
            d.decision_seconds
            for d in self.documents.values()
            if d.decided_at is not None
            and d.decided_at >= since
            and d.decision_seconds is not None
            and (document_type is None or d.document_type == document_type)
        ]
        return len(values), percentile(values, 0.5), percentile(values, 0.9)
