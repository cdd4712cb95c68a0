"""The planning office's reports through the gateway, on the real broker and PostgreSQL: workers
registered and withdrawn at the desk (and departures heard as the registration service
publishes them) reach the reporting service as events; the planning office's token reads the
monthly figures, downloads the spreadsheet and anyone the open data, with no cell under 5; the
desk's token is refused the reports, and the planning office's is refused the workers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections import Counter
from zoneinfo import ZoneInfo

import duckdb
import pytest
from openpyxl import load_workbook

from gateway.testing import start_stack
from pmi_common import contract as c
from services.reporting import printing
from tests.events import envelope, publish
from tests.helpers import pdf_texts, shows_in_a_row, wait_for, worker_payload

WIB = ZoneInfo("Asia/Jakarta")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def months_around(now: dt.datetime) -> tuple[str, str]:
    """From three months before ``now``'s month (in Blitar) to the month after: wherever the
    month turns during the test, its events are in the period."""
    here = now.astimezone(WIB)
    index = here.year * 12 + here.month - 1
    first, last = index - 3, index + 1
    return f"{first // 12}-{first % 12 + 1:02d}", f"{last // 12}-{last % 12 + 1:02d}"


@pytest.fixture
def api(container_factory, config_for):
    return start_stack(container_factory, config_for, services=(c.REGISTRATION, c.REPORTING))


def totals(report: dict) -> Counter:
    counted: Counter[str] = Counter()
    for figure in report["figures"]:
        counted[figure["measure"]] += figure["count"]
    return counted


def test_the_planning_office_reads_the_figures_the_desk_s_work_made_and_anyone_the_open_data(
    api, config_for, tmp_path
):
    desk, planning = api.as_role("operator"), api.as_role("planning")
    women = [desk.post("/workers", json=worker_payload(sex="F")).json() for _ in range(10)]
    men = [desk.post("/workers", json=worker_payload(sex="M")).json() for _ in range(6)]
    for worker in women[:3]:
        answer = desk.post(f"/workers/{worker['id']}/withdrawal", json={"reason": "keluarga"})
        assert answer.status_code == 200, answer.text
    amqp_uri = config_for(c.REGISTRATION)["AMQP_URI"]
    for worker in (*women[3:8], *men[:2]):  # seven departed for Hong Kong, as registration says
        departed = dt.datetime.now(dt.UTC)
        publish(
            amqp_uri,
            envelope(
                c.WORKER_DEPARTED,
                worker["id"],
                {
                    "departed_on": departed.date().isoformat(),
                    "destination_country": "HK",
                    "employer": "Employer",
                    "cycle": 1,
                },
                sequence=9,
                occurred_at=departed.isoformat(),
            ),
        )
    start, end = months_around(dt.datetime.now(dt.UTC))
    period = {"from": start, "to": end}

    def counted():
        answer = planning.get("/reports/monthly", params=period)
        assert answer.status_code == 200, answer.text
        return answer.json() if totals(answer.json()) == expected else None

    expected = Counter({"registrations": 16, "withdrawals": 3, "departures": 7})
    report = wait_for(counted, message="the reports counting the desk's work")
    assert (report["from"], report["to"]) == (start, end)
    by_sex = Counter()
    for figure in report["figures"]:
        if figure["measure"] == "registrations":
            assert figure["district"] == "35.05.12"  # the NIK's region, never the NIK
            by_sex[figure["sex"]] += figure["count"]
    assert by_sex == {"F": 10, "M": 6}
    ltsa = Counter()
    for row in report["innovations"]:
        ltsa.update(row["figures"] if row["innovation"] == "ltsa" else {})
    assert ltsa["registrations"] == 16

    # the spreadsheet: its three sheets, the figures as the JSON gave them
    answer = planning.get("/reports/monthly.xlsx", params=period)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == XLSX
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="pmi-xlsx-{start}-{end}.xlsx"'
    )
    book = load_workbook(io.BytesIO(answer.content), read_only=True)
    assert book.sheetnames == [
        "figures",
        "innovations",
        "pak_camat",
        "first_actions",
        "messages",
    ]
    rows = list(book["figures"].iter_rows(values_only=True))
    header = rows[0]
    sheet = Counter()
    for row in rows[1:]:
        cells = dict(zip(header, row, strict=True))
        sheet[cells["measure"]] += cells["count"]
    assert sheet == expected

    # the analysts' Parquet, one file per month, read with DuckDB as the docs say
    answer = planning.get("/reports/monthly.parquet.zip", params=period)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/zip"
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="pmi-parquet-{start}-{end}.zip"'
    )
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        archive.extractall(tmp_path)
    read = duckdb.connect().sql(
        f"SELECT measure, sum(count) FROM read_parquet('{tmp_path}/figures/*/*.parquet', "
        "hive_partitioning = true) GROUP BY measure"
    )
    assert dict(read.fetchall()) == expected

    answer = planning.get("/reports/monthly.csv", params=period)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=")
    figures_part, *sections = answer.text.split("\n\n")
    rows = list(csv.DictReader(io.StringIO(figures_part)))
    assert sum(int(r["count"]) for r in rows if r["measure"] == "departures") == 7
    # then the cases' first action and the messages sent, each a section with its header
    assert [section.split("\n")[:2] for section in sections] == [
        ["first_actions", "month,received,acted,acted_in_time,acted_late,median_working_hours"],
        ["messages", "month,kind,channel,sent,segments,cost_rupiah"],
    ]

    # the printable report: a PDF that parses, the JSON's figures in its tables
    answer = planning.get("/reports/monthly.pdf", params=period)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/pdf"
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="pmi-laporan-{start}-{end}.pdf"'
    )
    texts = pdf_texts(answer.content)
    assert texts[0] == "LAPORAN BULANAN PEKERJA MIGRAN INDONESIA"
    by_month: Counter = Counter()
    for figure in report["figures"]:
        if figure["measure"] in ("registrations", "departures"):
            by_month[(figure["month"], figure["measure"], figure["sex"])] += figure["count"]
    for month in {month for month, _, _ in by_month}:
        counts = [
            str(by_month[(month, measure, sex)])
            for measure in ("registrations", "departures")
            for sex in ("F", "M")
        ]
        assert shows_in_a_row(texts, printing.month_name(month), *counts), month
    assert shows_in_a_row(texts, "Jumlah (total)", "16", "0", "0", "0", "0", "0", "0")
    for worker in (*women, *men):
        assert worker["id"] not in texts and worker["nik"] not in " ".join(texts)

    # the open data: no token needed, counts only, nothing under 5, and not everything hidden
    answer = api.anonymous().get("/reports/open-data", params=period)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="pmi-open-data-{start}-{end}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert set(rows[0]) == {"month", "measure", "by", "value", "sex", "count", "suppressed"}
    shown = [int(r["count"]) for r in rows if r["count"] != ""]
    assert shown and min(shown) >= 5
    assert any(r["suppressed"] == "True" for r in rows)  # the three withdrawals at least
    published_registrations = {
        (r["by"], r["value"], r["sex"]): r["count"] for r in rows if r["measure"] == "registrations"
    }
    assert published_registrations[("district", "35.05.12", "F")] == "10"
    text = answer.text
    for worker in (*women, *men):
        assert worker["id"] not in text and worker["nik"][-4:] + "," not in text


def test_the_reports_are_the_planning_office_s_and_the_records_are_not(api):
    desk, planning = api.as_role("operator"), api.as_role("planning")
    worker = desk.post("/workers", json=worker_payload()).json()
    period = {"from": "2026-01", "to": "2026-12"}
    for path in (
        "/reports/monthly",
        "/reports/monthly.csv",
        "/reports/monthly.xlsx",
        "/reports/monthly.parquet.zip",
        "/reports/monthly.pdf",
    ):
        refused = desk.get(path, params=period)
        assert refused.status_code == 403, path
        assert refused.json()["detail"].startswith("the operator role may not call")
        assert planning.get(path, params=period).status_code == 200, path
        assert api.anonymous().get(path, params=period).status_code == 401, path
    for path in ("/workers", f"/workers/{worker['id']}", f"/workers/{worker['id']}/timeline"):
        assert planning.get(path).status_code == 403, path
    assert planning.get("/stats").status_code == 403
    # the period is checked at the gateway, in Bahasa Indonesia first
    refused = planning.get("/reports/monthly", params={"from": "2026-05", "to": "2026-04"})
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["detail"].startswith("Periode laporan tidak sah")
    assert problem["errors"]["to"][0].startswith("tidak boleh sebelum")
    refused = planning.get("/reports/monthly", params={"from": "2020-01", "to": "2026-12"})
    assert refused.status_code == 422
    assert refused.json()["errors"]["to"][0].startswith("paling lama 36 bulan")
