"""The analysts' Parquet: one file per month under ``figures/month=YYYY-MM/``, in a ZIP archive,
read back with DuckDB by the query docs/reporting.md gives."""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from pathlib import Path

import duckdb

from services.reporting import domain as d
from services.reporting.exports import figures_parquet_zip

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reporting.md"


def docs_query() -> str:
    """The DuckDB query of the docs, as written there."""
    (query,) = re.findall(r"```sql\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    return query


def figure(month, measure, sex, count, district="35.05.12", detail="") -> d.Figure:
    return d.Figure(
        month, measure, detail, sex, None, district, None, "HK", "informal", "PT A", count
    )


FIGURES = [
    figure("2025-12", d.REGISTRATIONS, "F", 7),
    figure("2025-12", d.REGISTRATIONS, "F", 2, district=None),
    figure("2026-01", d.REGISTRATIONS, "M", 3),
    figure("2026-01", d.DEPARTURES, "F", 4),
    figure("2026-01", d.RETURNS, "F", 1, detail="sick"),
]


def unzipped(tmp_path: Path, content: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        archive.extractall(tmp_path)
        return archive.namelist()


def test_one_parquet_file_per_month_in_hives_layout(tmp_path):
    names = unzipped(tmp_path, figures_parquet_zip(FIGURES))
    assert names == [
        "figures/month=2025-12/figures-0.parquet",
        "figures/month=2026-01/figures-0.parquet",
    ]


def test_the_docs_duckdb_query_reads_the_months_back_as_one_table(tmp_path, monkeypatch):
    unzipped(tmp_path, figures_parquet_zip(FIGURES))
    monkeypatch.chdir(tmp_path)  # the query names the dataset as unzipped: figures/
    rows = duckdb.connect().sql(docs_query()).fetchall()
    expected = Counter()
    for f in FIGURES:
        if f.measure in (d.REGISTRATIONS, d.DEPARTURES):
            expected[(f.month, f.measure, f.sex)] += f.count
    assert rows == sorted((*key, count) for key, count in expected.items())


def test_every_column_and_count_survives_and_an_absent_dimension_is_null(tmp_path):
    unzipped(tmp_path, figures_parquet_zip(FIGURES))
    read = duckdb.connect().sql(
        f"SELECT month, measure, detail, sex, district, country, sector, company, count "
        f"FROM read_parquet('{tmp_path}/figures/*/*.parquet', hive_partitioning = true) "
        f"ORDER BY month, measure, count"
    )
    assert read.fetchall() == sorted(
        (
            (
                f.month,
                f.measure,
                f.detail,
                f.sex,
                f.district,
                f.country,
                f.sector,
                f.company,
                f.count,
            )
            for f in FIGURES
        ),
        key=lambda row: (row[0], row[1], row[-1]),
    )


def test_the_same_figures_give_the_same_archive_byte_for_byte():
    assert figures_parquet_zip(FIGURES) == figures_parquet_zip(list(FIGURES))
