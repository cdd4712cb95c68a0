"""A registry imported several rows at a time still reads as one row after another: of two rows
of one NIK the first registers and the second is skipped, every other row registers, and
rejected rows are reported by line, in the file's order."""

import csv

from sqlalchemy import create_engine, text

from services.registration import importer
from tests.helpers import worker_payload

COLUMNS = [
    "nik",
    "full_name",
    "birth_date",
    "sex",
    "phone",
    "regency",
    "village",
    "destination_country",
    "occupation",
    "placement_agency",
]


def write(path, payloads) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        for row in payloads:
            writer.writerow(
                {
                    k: row["address"].get(k) if k in ("regency", "village") else row[k]
                    for k in COLUMNS
                }
            )


def test_rows_imported_at_once_keep_the_files_order_for_each_nik(database_urls, tmp_path):
    first = worker_payload(full_name="Siti Aminah")
    rows = [first] + [worker_payload() for _ in range(40)]
    rows.insert(20, {**first, "full_name": "Sri Wahyuni"})  # the same NIK again, later
    rows.insert(10, worker_payload(nik="1234"))
    rows.insert(30, worker_payload(phone="x"))
    path = tmp_path / "registry.csv"
    write(path, rows)
    engine = create_engine(database_urls["registration"])
    seen = []

    report = importer.import_file(
        path, engine, connections=4, progress=lambda done, total: seen.append((done, total))
    )

    with engine.connect() as conn:
        names = (
            conn.execute(
                text("SELECT full_name FROM workers WHERE nik = :nik"), {"nik": first["nik"]}
            )
            .scalars()
            .all()
        )
        count = conn.execute(text("SELECT count(*) FROM workers")).scalar()
    engine.dispose()
    assert names == ["Siti Aminah"]
    assert (report.registered, report.skipped) == (41, 1) and count == 41
    assert [line for line, _, _ in report.rejected] == [12, 32]
    assert seen[-1] == (44, 44) and [done for done, _ in seen] == list(range(1, 45))
