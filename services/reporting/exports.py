"""The figures as files: CSV and XLSX for the planning office, Parquet partitioned by month for
its analysts, and the open data for anyone.

The open data holds no personal data: counts only, by district (region code) or destination
country against sex, each table with its totals, every cell under 5 left out and as many more as
it takes that none left out can be worked out from the totals, those of both tables together
(``suppression``). The age band and the village are summed out of it: a village sends a few
workers a month, so a village's cells would be nearly all suppressed, and with the sex a shown
one is a person; the age band is the planning office's (the files above) until it is published
as a third table suppressed together with the other two.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pmi_common.names import FOLLOW_UP_MONTHS

from . import domain as d
from .suppression import TOTAL, published, suppress_together, table_of

if TYPE_CHECKING:  # imported when a file is made, not with the service: its memory at rest
    import pyarrow as pa

FIGURE_COLUMNS = ("month", "measure", "detail", *d.DIMENSIONS, "count")
SEXES = ("F", "M")
UNKNOWN = "unknown"
# the open data's tables: a dimension of the rows, against sex (never the village)
OPEN_TABLES = ("district", "country")
# a follow-up's counts in the pak_camat sheet, per 6 and 12 months
FOLLOW_UP_COLUMNS = ("recorded", "business_running", "migrated_again")
OPEN_COLUMNS = ("month", "measure", "by", "value", "sex", "count", "suppressed")
# the cases' first action and the messages sent, per month: the CSV's sections after the
# figures, the workbook's sheets
FIRST_ACTION_COLUMNS = (
    "month",
    "received",
    "acted",
    "acted_in_time",
    "acted_late",
    "median_working_hours",
)
MESSAGE_COLUMNS = ("month", "kind", "channel", "sent", "segments", "cost_rupiah")
FIRST_ACTIONS, MESSAGES = "first_actions", "messages"


def _cells(figure: d.Figure) -> list:
    return [
        figure.month,
        figure.measure,
        figure.detail,
        *(getattr(figure, name) or "" for name in d.DIMENSIONS),
        figure.count,
    ]


def first_action_cells(first_actions: Iterable[Mapping]) -> list[list]:
    """``monthly``'s ``first_actions`` as rows of ``FIRST_ACTION_COLUMNS``: those acted on
    late are those acted on less those within the limit; no median, an empty cell."""
    return [
        [
            row["month"],
            row["received"],
            row["acted"],
            row["acted_in_time"],
            row["acted"] - row["acted_in_time"],
            "" if row["median_working_hours"] is None else row["median_working_hours"],
        ]
        for row in first_actions
    ]


def message_cells(figures: Iterable[d.Figure]) -> list[list]:
    """The messages sent per month, kind and channel as rows of ``MESSAGE_COLUMNS``."""
    return [
        [m["month"], m["kind"], m["channel"], m["sent"], m["segments"], m["cost_rupiah"]]
        for m in d.messages_of(figures)
    ]


def figures_csv(figures: Sequence[d.Figure], first_actions: Iterable[Mapping] = ()) -> str:
    """The figures, then two sections, each after an empty line, its name and its header: the
    cases' first action per month received (``first_actions``) and the messages sent with
    their cost (``messages``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIGURE_COLUMNS)
    writer.writerows(_cells(f) for f in figures)
    for name, columns, rows in (
        (FIRST_ACTIONS, FIRST_ACTION_COLUMNS, first_action_cells(first_actions)),
        (MESSAGES, MESSAGE_COLUMNS, message_cells(figures)),
    ):
        writer.writerows([[], [name], columns, *rows])
    return out.getvalue()


def figures_xlsx(
    figures: Sequence[d.Figure],
    innovations: Sequence[dict],
    programmes: Sequence[dict],
    first_actions: Iterable[Mapping] = (),
) -> bytes:
    """A workbook of five sheets: the figures, per innovation, PAK CAMAT's funnel, the cases'
    first action per month and the messages sent with their cost."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("figures")
    sheet.append(list(FIGURE_COLUMNS))
    for figure in figures:
        sheet.append(_cells(figure))
    measures = sorted({m for ms in d.INNOVATIONS.values() for m in ms})
    sheet = book.create_sheet("innovations")
    sheet.append(["month", "innovation", *measures])
    for row in innovations:
        sheet.append(
            [row["month"], row["innovation"], *(row["figures"].get(m, "") for m in measures)]
        )
    sheet = book.create_sheet("pak_camat")
    sheet.append(
        [
            "program_id",
            "name",
            "year",
            "enrolled",
            "advanced",
            "completed",
            "businesses_started",
            "awarded",
            *(
                f"{measure}_{months}m"
                for months in FOLLOW_UP_MONTHS
                for measure in FOLLOW_UP_COLUMNS
            ),
        ]
    )
    for row in programmes:
        advanced = ", ".join(f"{a['round']}: {a['count']}" for a in row["advanced"])
        sheet.append(
            [
                row["program_id"],
                row["name"],
                row["year"],
                row["enrolled"],
                advanced,
                row["completed"],
                row["businesses_started"],
                row["awarded"],
                *(
                    follow_up[measure]
                    for follow_up in row["follow_ups"]
                    for measure in FOLLOW_UP_COLUMNS
                ),
            ]
        )
    for name, columns, rows in (
        (FIRST_ACTIONS, FIRST_ACTION_COLUMNS, first_action_cells(first_actions)),
        (MESSAGES, MESSAGE_COLUMNS, message_cells(figures)),
    ):
        sheet = book.create_sheet(name)
        sheet.append(list(columns))
        for row in rows:
            sheet.append([None if cell == "" else cell for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# the analysts' Parquet: one file per month, in a directory named ``month=YYYY-MM`` (Hive's
# partitioning, which DuckDB, Spark and pandas read back as the column ``month``)
PARQUET_DATASET = "figures"
_ZIPPED_AT = (2000, 1, 1, 0, 0, 0)  # the same figures give the same archive, byte for byte


def parquet_schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema(
        [
            ("month", pa.string()),
            ("measure", pa.string()),
            ("detail", pa.string()),
            *((name, pa.string()) for name in d.DIMENSIONS),
            ("count", pa.int64()),
        ]
    )


def figures_table(figures: Iterable[d.Figure]) -> pa.Table:
    import pyarrow as pa

    rows = [dict(zip(FIGURE_COLUMNS, _cells(f), strict=True)) for f in figures]
    for row in rows:  # an absent dimension is null in Parquet, not an empty string
        for name in d.DIMENSIONS:
            row[name] = row[name] or None
    return pa.Table.from_pylist(rows, schema=parquet_schema())


def write_parquet(figures: Iterable[d.Figure], directory: Path) -> list[Path]:
    """The figures as Parquet under ``directory``, partitioned by month:
    ``month=2026-01/figures-0.parquet``; the files written."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    ds.write_dataset(
        figures_table(figures),
        directory,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([("month", pa.string())]), flavor="hive"),
        basename_template="figures-{i}.parquet",
        existing_data_behavior="delete_matching",
    )
    return sorted(directory.rglob("*.parquet"))


def figures_parquet_zip(figures: Iterable[d.Figure]) -> bytes:
    """The Parquet dataset (``figures/month=YYYY-MM/figures-0.parquet``) as a ZIP archive."""
    out = io.BytesIO()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / PARQUET_DATASET
        files = write_parquet(figures, root)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
            for path in files:
                name = str(path.relative_to(scratch))
                archive.writestr(zipfile.ZipInfo(name, _ZIPPED_AT), path.read_bytes())
    return out.getvalue()


def open_data_rows(figures: Iterable[d.Figure]) -> list[dict]:
    """Per month, measure and table (district or country against sex): every cell with its
    count, or none when suppressed. A month's and measure's two tables are suppressed together:
    their totals by sex are the same numbers."""
    counts: dict[tuple[str, str], dict[str, Counter]] = defaultdict(
        lambda: {by: Counter() for by in OPEN_TABLES}
    )
    for figure in figures:
        if figure.measure in d.SUMMED:  # segments and rupiah, not people: not published
            continue
        sex = figure.sex or UNKNOWN
        for by in OPEN_TABLES:
            value = getattr(figure, by) or UNKNOWN
            counts[(figure.month, figure.measure)][by][(value, sex)] += figure.count
    rows = []
    for (month, measure), by_table in sorted(counts.items()):
        sexes = sorted({*SEXES, *(sex for _, sex in by_table[OPEN_TABLES[0]])})
        tables = {
            by: table_of(cells, sorted({value for value, _ in cells}), sexes)
            for by, cells in by_table.items()
        }
        hidden = suppress_together(tables)
        for by, table in sorted(tables.items()):
            for (value, sex), count in sorted(published(table, hidden[by]).items()):
                rows.append(
                    {
                        "month": month,
                        "measure": measure,
                        "by": by,
                        "value": value,
                        "sex": sex,
                        "count": count,
                        "suppressed": count is None,
                    }
                )
    return rows


def open_data_csv(figures: Iterable[d.Figure]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, OPEN_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in open_data_rows(figures):
        writer.writerow({**row, "count": "" if row["count"] is None else row["count"]})
    return out.getvalue()


__all__ = [
    "TOTAL",
    "figures_csv",
    "figures_parquet_zip",
    "figures_xlsx",
    "open_data_csv",
    "open_data_rows",
    "write_parquet",
]
