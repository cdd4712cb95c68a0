"""The bulk path a district office takes: importing its registry from a CSV export, as
``pmi import`` does (``services.registration.importer``: each row validated and registered by
the same use case as a desk registration, events included, with the progress bar a person sees).
Figure: rows registered per second, from the first row read to the last committed."""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

from services.registration import importer

from .lifecycle import _import_row
from .platform import Platform
from .processes import CpuMeter

FIRST_ROW = 10_000_000  # NIKs of their own: the pipeline's import starts at 0
COLUMNS = (
    "nik",
    "full_name",
    "birth_date",
    "sex",
    "phone",
    "destination_country",
    "occupation",
    "placement_agency",
    *importer.ADDRESS_COLUMNS,
)


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for index in range(FIRST_ROW, FIRST_ROW + rows):
            row = _import_row(index)
            address = row.pop("address")
            writer.writerow({**row, **{k: address.get(k, "") for k in importer.ADDRESS_COLUMNS}})


def import_rows(platform: Platform, rows: int, log_dir: Path) -> dict:
    # this process registers as the registration service would: with the platform's NIK key
    os.environ["NIK_DIGEST_KEY"] = platform.nik_digest_key
    path = log_dir / "registry.csv"
    write_csv(path, rows)
    bar = (log_dir / "import-progress.txt").open("w")

    def progress(done: int, total: int) -> None:  # the importer's bar, drawn to a file
        _bar(done, total, bar)

    meter = CpuMeter(platform.pids()).start()
    started = time.monotonic()
    try:
        report = importer.import_file(path, platform.engine("registration"), progress=progress)
    finally:
        bar.close()
    seconds = time.monotonic() - started
    return {
        "rows": rows,
        "registered": report.registered,
        "skipped": report.skipped,
        "rejected": len(report.rejected),
        "seconds": round(seconds, 2),
        "rows_per_second": report.registered / seconds if seconds else None,
        "cpu": meter.stop(),
    }


def _bar(done: int, total: int, out, width: int = 40) -> None:
    """What ``importer.progress_bar`` draws on a terminal, drawn to ``out``."""
    filled = int(width * done / max(total, 1))
    out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        out.write("\n")
    out.flush()
