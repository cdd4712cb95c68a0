"""Bulk import of an existing registry (a district office's CSV export of prospective workers).

Each row goes through the same validation and the same ``register_worker`` handler as a desk
registration, events included (the running service's relay publishes them). Rows that fail are
written to a report with the reasons. A row whose NIK is already actively registered is skipped,
so the same file can be imported again without creating duplicates.
"""

from __future__ import annotations

import csv
import datetime as dt
import queue
import sys
import threading
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from pmi_common.errors import DuplicateRegistration, InvalidInput
from pmi_common.store import Store, make_engine, messaging_tables

from . import handlers
from .models import metadata
from .repository import RegistrationRepository

ADDRESS_COLUMNS = ("street", "village", "district", "regency", "province", "postal_code")
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y")
CONNECTIONS = 4  # rows registered at once (make_engine's pool keeps 3 and opens 5 more)
LANE_DEPTH = 100  # rows read ahead for each connection


@dataclass
class ImportReport:
    registered: int = 0
    skipped: int = 0
    rejected: list[tuple[int, str, dict]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.registered + self.skipped + len(self.rejected)


def row_to_payload(row: dict) -> dict:
    """A CSV row as the registration payload the desk would send."""
    clean = {key.strip().lower(): (value or "").strip() for key, value in row.items() if key}
    payload = {
        key: clean.get(key, "")
        for key in (
            "nik",
            "full_name",
            "sex",
            "phone",
            "destination_country",
            "occupation",
            "placement_agency",
        )
    }
    payload["sex"] = payload["sex"].upper()[:1]
    payload["destination_country"] = payload["destination_country"].upper()
    payload["birth_date"] = _iso_date(clean.get("birth_date", ""))
    payload["address"] = {key: clean[key] for key in ADDRESS_COLUMNS if clean.get(key)}
    return payload


def _iso_date(text: str) -> str:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return text


def _rows(path: Path) -> Iterator[tuple[int, dict]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        yield from enumerate(csv.DictReader(handle), start=2)  # line 1 is the header


def import_file(
    path: Path,
    engine: Engine,
    now: dt.datetime | None = None,
    progress=None,
    connections: int = CONNECTIONS,
) -> ImportReport:
    """Register every row, ``connections`` rows at a time (a row is mostly waiting on the
    database's answers). Rows of one NIK go to the same connection in the file's order, so the
    first of them registers and the others are skipped, as one row after another would."""
    store = Store(
        engine,
        messaging_tables(metadata),
        "registration",
        correlation_id=f"import-{uuid.uuid4()}",
        actor={"role": "operator", "agency": "bulk-import", "subject": path.name},
        wake_relay=lambda: None,
        repository=RegistrationRepository,
    )
    report = ImportReport()
    total = sum(1 for _ in _rows(path))
    lock = threading.Lock()
    lanes = [queue.Queue(maxsize=LANE_DEPTH) for _ in range(max(1, connections))]
    failed: list[BaseException] = []

    def register(line: int, row: dict) -> None:
        try:
            with store.transaction() as uow:
                handlers.register_worker(uow, row_to_payload(row), now or _utcnow())
            outcome = "registered"
        except DuplicateRegistration:
            outcome = "skipped"
        except InvalidInput as exc:
            outcome = (line, exc.message, exc.details)
        with lock:
            if outcome == "registered":
                report.registered += 1
            elif outcome == "skipped":
                report.skipped += 1
            else:
                report.rejected.append(outcome)
            if progress:
                progress(report.total, total)

    def lane(rows: queue.Queue) -> None:
        while (item := rows.get()) is not None:
            if not failed:
                try:
                    register(*item)
                except BaseException as exc:  # noqa: BLE001 - the database is gone: stop all
                    failed.append(exc)

    threads = [threading.Thread(target=lane, args=(rows,), daemon=True) for rows in lanes]
    for thread in threads:
        thread.start()
    try:
        for line, row in _rows(path):
            if failed:
                break
            nik = row_to_payload(row)["nik"]
            lanes[zlib.crc32(nik.encode()) % len(lanes)].put((line, row))
    finally:
        for rows in lanes:
            rows.put(None)
        for thread in threads:
            thread.join()
    if failed:
        raise failed[0]
    report.rejected.sort(key=lambda rejected: rejected[0])
    return report


def write_rejections(report: ImportReport, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "field", "reason"])
        for line, _message, details in report.rejected:
            for field_name, reasons in _flatten(details):
                writer.writerow([line, field_name, "; ".join(reasons)])


def _flatten(details: dict, prefix: str = "") -> Iterator[tuple[str, list[str]]]:
    for key, value in details.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, f"{name}.")
        else:
            yield name, [str(v) for v in (value if isinstance(value, list) else [value])]


def progress_bar(done: int, total: int, width: int = 40) -> None:
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def run(csv_path: str, database_url: str, report_path: str) -> ImportReport:
    """Import the file, write the refused rows' reasons to ``report_path`` and print the counts;
    the progress bar is drawn only on a terminal."""
    engine = make_engine(database_url)
    try:
        progress = progress_bar if sys.stderr.isatty() else None
        report = import_file(Path(csv_path), engine, progress=progress)
    finally:
        engine.dispose()
    target = Path(report_path)
    write_rejections(report, target)
    print(
        f"{report.registered} registered, {report.skipped} already registered, "
        f"{len(report.rejected)} rejected (reasons in {target})"
    )
    return report
