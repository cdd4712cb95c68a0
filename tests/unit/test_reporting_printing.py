"""The printable monthly report: a PDF that parses, titled in Bahasa Indonesia first, whose tables,
bars and funnel show the figures of the ``monthly`` answer it was made from."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from services.reporting import domain as d
from services.reporting import handlers, printing
from tests.helpers import pdf_texts, shows_in_a_row

PROGRAMME = d.Programme("p-1", "PAK CAMAT Blitar", 2026)


def figure(month: str, measure: str, count: int, detail: str = "", sex: str | None = "F"):
    return d.Figure(
        month, measure, detail, sex, None, "35.05.12", None, "HK", "informal", "PT A", count
    )


FIGURES = [
    figure("2026-01", d.REGISTRATIONS, 12),
    figure("2026-01", d.REGISTRATIONS, 3, sex="M"),
    figure("2026-01", d.DOCUMENTS_VERIFIED, 1234, "ktp"),
    figure("2026-02", d.REGISTRATIONS, 5, sex="M"),
    figure("2026-02", d.DEPARTURES, 7),
    figure("2026-02", d.DEPARTURES, 2, sex=None),  # a worker whose registration was not heard
    figure("2026-02", d.LETTERS_ISSUED, 4, "family_permission"),
    figure("2026-03", d.RETURNS, 3, "contract_ended"),
    figure("2026-03", d.RETURNS, 1, "deported", sex="M"),
    figure("2026-03", d.CASES_OPENED, 2, "economic:unpaid_wages"),
    figure("2026-03", d.CASES_OPENED, 1, "legal:document_held"),
    figure("2026-03", d.PROGRAMME_ENROLMENTS, 10, "p-1"),
    figure("2026-03", d.PROGRAMME_ADVANCES, 6, "p-1:1"),
    figure("2026-03", d.PROGRAMME_COMPLETIONS, 5, "p-1"),
    figure("2026-03", d.BUSINESSES_STARTED, 4, "p-1"),
    figure("2026-03", d.FOLLOW_UPS_RUNNING, 2, "p-1:6"),
    figure("2026-02", d.NOTIFICATIONS_SENT, 40, "registered:sms"),
    figure("2026-03", d.NOTIFICATIONS_SENT, 2, "registered:sms", sex="M"),
    figure("2026-02", d.NOTIFICATION_SEGMENTS, 50, "registered:sms"),
    figure("2026-03", d.NOTIFICATION_SEGMENTS, 2, "registered:sms", sex="M"),
    figure("2026-02", d.NOTIFICATION_COST, 17500, "registered:sms"),
    figure("2026-03", d.NOTIFICATION_COST, 700, "registered:sms", sex="M"),
    figure("2026-03", d.NOTIFICATIONS_SENT, 3, "session_reminder:whatsapp"),
    figure("2026-03", d.NOTIFICATION_SEGMENTS, 3, "session_reminder:whatsapp"),
    figure("2026-03", d.NOTIFICATION_COST, 600, "session_reminder:whatsapp"),
]
RECEIVED = dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC)  # a Monday, 09.00 WIB
CLOCKS = [
    d.CaseClock("k-1", "2026-03", RECEIVED, RECEIVED + dt.timedelta(days=3), acted)
    for acted in (RECEIVED + dt.timedelta(hours=6), RECEIVED + dt.timedelta(days=4), None)
]


def report(figures=FIGURES, start="2026-01", end="2026-03") -> dict:
    """The ``monthly`` answer of ``figures``, as the service gives it."""
    return {
        "from": start,
        "to": end,
        "figures": [handlers.figure_view(f) for f in figures],
        "innovations": d.innovations_of(figures),
        "programmes": d.funnel_of(figures, [PROGRAMME]),
        "first_actions": d.first_actions_of(
            [replace(c, case_id=f"k-{n}") for n, c in enumerate(CLOCKS)] if figures else []
        ),
    }


@pytest.fixture(scope="module")
def texts() -> list[str]:
    pdf = printing.monthly_pdf(report())
    assert pdf.startswith(b"%PDF-")
    return pdf_texts(pdf)


def test_the_title_and_the_period_are_in_bahasa_indonesia_first(texts):
    assert texts[:4] == [
        "LAPORAN BULANAN PEKERJA MIGRAN INDONESIA",
        "Monthly report on Indonesian migrant workers",
        "Periode: Januari 2026 s.d. Maret 2026 (WIB)",
        "Period: January 2026 to March 2026",
    ]


def test_the_innovations_table_has_each_month_and_the_period_s_total(texts):
    # LTSA: registrations, documents verified, rejected; OPP; PAK CAMAT: enrolled, completed; Go-TKI
    assert shows_in_a_row(texts, "Januari 2026", "15", "1.234", "0", "0", "0", "0", "0")
    assert shows_in_a_row(texts, "Februari 2026", "5", "0", "0", "0", "0", "0", "4")
    assert shows_in_a_row(texts, "Maret 2026", "0", "0", "0", "0", "10", "5", "0")
    assert shows_in_a_row(texts, "Jumlah (total)", "20", "1.234", "0", "0", "10", "5", "4")


def test_registrations_and_departures_by_sex_are_charted_and_tabled(texts):
    # women, men, not known (a departure of someone whose registration was not heard)
    head = ["Bulan (month)", "Pendaftaran P (F)", "Pendaftaran L (M)", "Pendaftaran ?"]
    assert shows_in_a_row(texts, *head, "Berangkat P (F)", "Berangkat L (M)", "Berangkat ?")
    assert shows_in_a_row(texts, "Januari 2026", "12", "3", "0", "0", "0", "0")
    assert shows_in_a_row(texts, "Februari 2026", "0", "5", "0", "7", "0", "2")
    assert shows_in_a_row(texts, "Jan 26")  # under the bars
    assert shows_in_a_row(texts, "Tidak diketahui")  # in the charts' legend


def test_returns_by_reason_cases_by_aspect_and_the_funnel_are_barred_with_their_counts(texts):
    assert shows_in_a_row(texts, "Kontrak selesai (contract ended)", "3")
    assert shows_in_a_row(texts, "Dideportasi (deported)", "1")
    assert shows_in_a_row(texts, "Ekonomi (economic)", "2", "Hukum (legal)", "1")
    assert shows_in_a_row(texts, "PAK CAMAT Blitar (2026)", "Terdaftar (enrolled)", "10")
    assert shows_in_a_row(texts, "Lolos babak 1 (advanced, round 1)", "6")
    assert shows_in_a_row(texts, "Memulai usaha (started a business)", "4")
    assert shows_in_a_row(texts, "Usaha berjalan, 6 bln (running)", "2")


def test_the_cases_first_action_and_the_messages_cost_are_tabled(texts):
    # three received in March: acted on in 6 and 96 working hours (the second one late), one not
    assert shows_in_a_row(texts, "Maret 2026", "3", "2", "1", "51,0")
    assert shows_in_a_row(texts, "registered:sms", "42", "52", "18.200")
    assert shows_in_a_row(texts, "session_reminder:whatsapp", "3", "3", "600")
    assert shows_in_a_row(texts, "Jumlah (total)", "45", "55", "18.800")


def test_a_period_with_nothing_counted_says_so_and_a_month_is_its_own_period():
    texts = pdf_texts(printing.monthly_pdf(report([], "2026-05", "2026-05")))
    assert "Periode: Mei 2026 (WIB)" in texts and "Period: May 2026" in texts
    assert texts.count(printing.NONE) == 4  # no returns, no cases, no first action, no message
    assert shows_in_a_row(texts, "PAK CAMAT Blitar (2026)", "Terdaftar (enrolled)", "0")
    assert shows_in_a_row(texts, "Mei 2026", "0", "0", "0", "0", "0", "0", "0")


def test_an_empty_read_model_asked_for_every_month_prints_a_report_that_says_so():
    # what ``handlers.period`` gives when nothing is recorded and nothing asked for
    texts = pdf_texts(printing.monthly_pdf(report([], "0000-00", "9999-99")))
    assert any("belum ada data" in text for text in texts)
    assert any("no figures yet" in text for text in texts)


def test_without_a_programme_the_funnel_says_there_are_no_figures():
    texts = pdf_texts(printing.monthly_pdf({**report([]), "programmes": []}))
    assert texts.count(printing.NONE) == 5


def test_three_years_of_months_fit_on_pages_of_their_own():
    figures = [
        figure(f"{2024 + m // 12}-{m % 12 + 1:02d}", d.REGISTRATIONS, m + 1) for m in range(36)
    ]
    pdf = printing.monthly_pdf(report(figures, "2024-01", "2026-12"))
    texts = pdf_texts(pdf)
    assert shows_in_a_row(texts, "Desember 2026", "36", "0", "0", "0", "0", "0", "0")
    assert shows_in_a_row(texts, "Jumlah (total)", str(sum(range(1, 37))), "0")
    assert "Halaman (page) 3" in texts
