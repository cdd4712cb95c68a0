"""The planning office reads the monthly figures on the console's reports page, as charts and
tables, in Bahasa Indonesia or English (the cases' first action and the messages sent with their
cost among them); the console's operator is sent away from it."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
import requests
from playwright.sync_api import expect

from pmi_common import contract as c
from tests.browser.conftest import WAIT_MS, screenshot
from tests.e2e.journey import Journey
from tests.events import envelope, publish
from tests.helpers import district_today, pdf_texts, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def open_reports(page, stack, role: str = "planning") -> None:
    page.goto(f"{stack.base_url}/console/reports.html")
    page.get_by_label("Token akses").fill(stack.token(role, sub=f"{role}-1"))
    page.get_by_role("button", name="Masuk").click()


def this_months_report(stack) -> dict:
    month = district_today().strftime("%Y-%m")
    answer = stack.client("planning").get(
        stack.url("/reports/monthly"), params={"from": month, "to": month}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def counted(stack, measure: str) -> int:
    figures = this_months_report(stack)["figures"]
    return sum(f["count"] for f in figures if f["measure"] == measure)


def acted_on(stack) -> int:
    return sum(row["acted"] for row in this_months_report(stack)["first_actions"])


def whole(count: int) -> str:
    """A count as the page writes it in Bahasa Indonesia (id-ID: 1.400)."""
    return f"{count:,}".replace(",", ".")


def hours(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",")


def saved(page, label: str):
    """The file the page saves when its download button ``label`` is pressed: name, content."""
    with page.expect_download(timeout=WAIT_MS) as downloading:
        page.get_by_role("button", name=label).click()
    download = downloading.value
    with open(download.path(), "rb") as file:
        return download.suggested_filename, file.read()


def test_the_planning_office_sees_this_months_figures_charted_and_the_pak_camat_funnel(stack, page):
    departed_before = counted(stack, "departures")
    journey = Journey(stack)  # a woman registered, verified, trained, departed and back home
    journey.register()
    journey.submit_and_verify_documents()
    journey.wait_status("documents_verified")
    journey.attend_orientation()
    journey.wait_status("orientation_completed")
    journey.add_bpjs()
    journey.wait_status("cleared_for_departure")
    journey.depart()
    journey.come_home()
    journey.wait_status("returned")
    name = f"PAK CAMAT {uuid.uuid4().hex[:6]}"
    program = journey.call(
        journey.trainer,
        "POST",
        "/reintegration/programs",
        201,
        json={
            "name": name,
            "audience": "returnee",
            "capacity": 10,
            "starts_on": district_today().isoformat(),
            "rounds": [{"name": "pitch", "advance": 3}],
        },
    )
    base = f"/reintegration/programs/{program['id']}"
    journey.call(
        journey.trainer, "POST", f"{base}/enrollments", 201, json={"worker_id": journey.worker_id}
    )
    journey.call(
        journey.trainer,
        "POST",
        f"{base}/completions",
        json={
            "worker_id": journey.worker_id,
            "business_started": True,
            "business_name": "Keripik Tempe",
            "sector": "food processing",
            "regency": "Blitar",
        },
    )
    case = journey.call(  # back home, she tells the desk her last month's wages were never paid
        journey.operator,
        "POST",
        "/cases",
        201,
        json={
            "worker_id": journey.worker_id,
            "reporter_kind": "worker",
            "channel": "desk",
            "aspect": "economic",
            "case_type": "unpaid_wages",
            "urgency": "normal",
            "summary": "Gaji bulan terakhir tidak dibayar",
        },
    )
    # an SMS of two segments sent to her, as the notifications service tells of it (its own
    # messages wait for the district's daytime: the test cannot count on one being sent now)
    message = {"kind": "case_update", "channel": "sms", "segments": 2, "cost_rupiah": 700}
    publish(stack.amqp_uri, envelope(c.NOTIFICATION_SENT, journey.worker_id, message, sequence=1))
    caseworker = stack.client("caseworker", sub="siti.pengaduan")  # who acts on it at once
    for step, body in (
        ("assign", {"caseworker": "siti.pengaduan"}),
        ("transitions", {"to": "assessed"}),
        ("transitions", {"to": "in_progress"}),
    ):
        moved = caseworker.post(stack.url(f"/cases/{case['id']}/{step}"), json=body, timeout=30)
        assert moved.status_code == 200, moved.text
    wait_for(lambda: counted(stack, "departures") > departed_before, message="departure counted")
    wait_for(lambda: counted(stack, "cases_opened") > 0, message="case counted")
    wait_for(lambda: counted(stack, "businesses_started") > 0, message="business counted")
    wait_for(lambda: acted_on(stack) > 0, message="the case's first action counted")
    wait_for(lambda: counted(stack, "notification_cost_rupiah") >= 700, message="messages' cost")

    open_reports(page, stack)
    this_month = page.locator(f"#monthly-table tr[data-month='{district_today():%Y-%m}'] td")
    expect(this_month.nth(0)).not_to_have_text("0", timeout=WAIT_MS)  # women registered
    expect(this_month.nth(2)).not_to_have_text("0")  # women departed
    expect(page.locator("#chart-registrations canvas")).to_have_count(1)
    expect(page.locator("#chart-departures canvas")).to_have_count(1)
    expect(page.locator("#bars-returns dt", has_text="Kontrak selesai")).to_be_visible()
    expect(page.locator("#bars-cases dt", has_text="Ekonomi")).to_be_visible()
    funnel = page.locator("#funnels .funnel", has=page.locator("h4", has_text=name))
    expect(funnel).to_have_count(1)
    expect(funnel.locator("dt").first).to_have_text("Terdaftar")
    expect(funnel.locator(".count").first).to_have_text("1")
    expect(funnel.locator("dt", has_text="Memulai usaha").locator("+ dd .count")).to_have_text("1")
    # the cases' first action and the messages sent with their cost, charted and tabled as the
    # JSON has them
    expect(page.locator("#chart-first-actions canvas")).to_have_count(1)
    expect(page.locator("#chart-messages canvas")).to_have_count(1)
    month = f"{district_today():%Y-%m}"
    first_actions = page.locator(f"#first-actions-table tr[data-month='{month}'] td")
    messages = page.locator(f"#messages-table tr[data-month='{month}'] td")

    def tabled_as_in_the_json() -> bool:
        """This month's rows as the JSON read now has them (the page read again: a message
        the stack sends in between is in the next round)."""
        report = this_months_report(stack)
        (first,) = (row for row in report["first_actions"] if row["month"] == month)
        assert first["acted"] > 0 and first["median_working_hours"] is not None
        sent = [
            sum(f["count"] for f in report["figures"] if (f["month"], f["measure"]) == (month, m))
            for m in ("notifications_sent", "notification_segments", "notification_cost_rupiah")
        ]
        assert sent[0] >= 1 and sent[1] >= 2 and sent[2] >= 700
        page.get_by_role("button", name="Tampilkan").click()
        try:
            expect(first_actions).to_have_text(
                [
                    whole(first["received"]),
                    whole(first["acted_in_time"]),
                    whole(first["acted"] - first["acted_in_time"]),
                    hours(first["median_working_hours"]),
                ]
            )
            expect(messages).to_have_text([whole(count) for count in sent])
        except AssertionError:
            return False
        return True

    wait_for(tabled_as_in_the_json, message="the first actions and messages tabled as counted")
    screenshot(page, "reports")

    # the figures as CSV, fetched with the token and saved: the same counts as the JSON's
    month = f"{district_today():%Y-%m}"
    name, content = saved(page, "Angka (CSV)")
    assert name.startswith("pmi-csv-") and name.endswith(f"-{month}.csv"), name
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    for measure in ("departures", "cases_opened", "businesses_started"):
        in_file = sum(
            int(r["count"]) for r in rows if (r["month"], r["measure"]) == (month, measure)
        )
        assert in_file == counted(stack, measure) > 0, measure
    expect(page.locator("#reports-status")).to_contain_text(name)

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Monthly figures")).to_be_visible()
    expect(page.locator("#bars-returns dt", has_text="Contract ended")).to_be_visible()
    expect(page.locator("#bars-cases dt", has_text="Economic")).to_be_visible()
    expect(funnel.locator("dt").first).to_have_text("Enrolled")
    expect(page.locator("#first-actions-table th").nth(2)).to_have_text("Within the limit")
    expect(page.locator("#messages-table th").nth(3)).to_have_text("Cost (Rp)")
    page.get_by_role("button", name="Bahasa Indonesia").click()
    expect(page.locator("html")).to_have_attribute("lang", "id")


def test_a_period_chosen_is_read_again_and_an_operator_is_refused_the_reports(stack, page):
    open_reports(page, stack)
    expect(page.locator("#monthly-table tbody tr")).to_have_count(12, timeout=WAIT_MS)
    page.get_by_label("Dari bulan").fill("2026-01")
    page.get_by_label("Sampai bulan").fill("2026-03")
    page.get_by_role("button", name="Tampilkan").click()
    expect(page.locator("#monthly-table tbody tr")).to_have_count(3)
    expect(page.locator("#monthly-table tbody tr").first).to_have_attribute("data-month", "2026-01")
    name, content = saved(page, "Data terbuka (CSV)")  # the period chosen, as published
    assert name == "pmi-open-data-2026-01-2026-03.csv"
    published = requests.get(  # by anyone, no token
        stack.url("/reports/open-data"), params={"from": "2026-01", "to": "2026-03"}, timeout=30
    )
    assert published.status_code == 200 and content == published.content
    assert content.startswith(b"month,measure,by,value,sex,count,suppressed")
    name, content = saved(page, "Laporan cetak (PDF)")  # the printable report of the period
    assert name == "pmi-laporan-2026-01-2026-03.pdf"
    assert pdf_texts(content)[2] == "Periode: Januari 2026 s.d. Maret 2026 (WIB)"

    page.get_by_role("button", name="Keluar").click()
    open_reports(page, stack, role="operator")
    expect(page.locator("#signin-error")).to_contain_text("operator", timeout=WAIT_MS)
    expect(page.locator("#view-reports")).to_be_hidden()
