"""The printable monthly report (PDF), for the planning office: the period's figures as the
``monthly`` answer gives them, drawn with fpdf2's own lines and rectangles (no plotting library):
the title and period in Bahasa Indonesia first and English second, the innovations' figures per
month, registrations and departures per month by sex (bars and their table), returns by reason,
cases opened by aspect (and how soon they were first acted on), PAK CAMAT's funnel per programme,
and the messages the notifications service sent with their cost.

Counts only, as the JSON: no name, no NIK, no case. Small cells are not suppressed here (the
report is for the planning office's role, not published; the open data is).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING

from pmi_common.names import CASE_ASPECTS, RETURN_REASONS
from pmi_common.printing import MONTHS_EN, MONTHS_ID, latin

from . import domain as d

if TYPE_CHECKING:  # fpdf2 imported when a report is printed, not with the service
    from fpdf import FPDF

LEFT, WIDTH = 15.0, 180.0  # A4's 210 mm, 15 mm either side
SEXES = ("F", "M", "unknown")
SEX_WORDS = {"F": "Perempuan (women)", "M": "Laki-laki (men)", "unknown": "Tidak diketahui"}
SEX_COLOURS = {"F": (190, 24, 93), "M": (29, 78, 216), "unknown": (75, 85, 99)}
BAR_COLOUR = (15, 118, 110)
GRID_COLOUR = (209, 213, 219)
# the innovations' table: its columns, each an innovation's measure, in Bahasa Indonesia first
MEASURE_WORDS = {
    d.REGISTRATIONS: ("Pendaftaran", "registered"),
    d.DOCUMENTS_VERIFIED: ("Dok. sah", "docs verified"),
    d.DOCUMENTS_REJECTED: ("Dok. ditolak", "docs rejected"),
    d.ORIENTATION_CERTIFICATES: ("Sertifikat", "certificates"),
    d.PROGRAMME_ENROLMENTS: ("Peserta", "enrolled"),
    d.PROGRAMME_COMPLETIONS: ("Lulus", "completed"),
    d.LETTERS_ISSUED: ("Surat terbit", "letters"),
}
INNOVATION_NAMES = {d.LTSA: "LTSA", d.OPP: "OPP", d.PAK_CAMAT: "PAK CAMAT", d.GO_TKI: "Go-TKI"}
REASON_WORDS = {
    "contract_ended": "Kontrak selesai (contract ended)",
    "terminated": "Diberhentikan (terminated)",
    "deported": "Dideportasi (deported)",
    "sick": "Sakit (sick)",
    "repatriated": "Dipulangkan negara (repatriated)",
    "other": "Lainnya (other)",
}
ASPECT_WORDS = {
    "economic": "Ekonomi (economic)",
    "social": "Sosial (social)",
    "legal": "Hukum (legal)",
    "health": "Kesehatan (health)",
}
NONE = "Belum ada angka pada periode ini (no figures in this period yet)."
TOTAL = "Jumlah (total)"


def number(count: int) -> str:
    """``4.446``: a count as the district writes it."""
    return f"{count:,}".replace(",", ".")


def month_name(month: str) -> str:
    """``Januari 2026`` of ``2026-01``."""
    year, index = month.split("-")
    return f"{MONTHS_ID[int(index) - 1]} {year}"


def month_short(month: str) -> str:
    """``Jan 26``: a month under a chart's bars."""
    year, index = month.split("-")
    return f"{MONTHS_ID[int(index) - 1][:3]} {year[2:]}"


MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def period_words(start: str, end: str) -> tuple[str, str]:
    """The period in Bahasa Indonesia and in English."""

    def english(month: str) -> str:
        year, index = month.split("-")
        return f"{MONTHS_EN[int(index) - 1]} {year}"

    if not (MONTH.match(start) and MONTH.match(end)):  # nothing recorded yet, nothing asked for
        return "Periode: semua bulan (belum ada data)", "Period: every month (no figures yet)"
    if start == end:
        return f"Periode: {month_name(start)}", f"Period: {english(start)}"
    return (
        f"Periode: {month_name(start)} s.d. {month_name(end)}",
        f"Period: {english(start)} to {english(end)}",
    )


def months_of(start: str, end: str) -> list[str]:
    """Every month from ``start`` to ``end``, both included (none while nothing is recorded)."""
    if not (MONTH.match(start) and MONTH.match(end)):
        return []
    first = int(start[:4]) * 12 + int(start[5:]) - 1
    last = int(end[:4]) * 12 + int(end[5:]) - 1
    return [f"{m // 12}-{m % 12 + 1:02d}" for m in range(first, last + 1)]


def totals(figures: Iterable[Mapping], measure: str, key) -> Counter:
    """The counts of ``measure`` summed by ``key(figure)``."""
    counted: Counter = Counter()
    for figure in figures:
        if figure["measure"] == measure:
            counted[key(figure)] += figure["count"]
    return counted


def by_month_and_sex(figure: Mapping) -> tuple[str, str]:
    return figure["month"], figure["sex"] or "unknown"


def aspect_of(figure: Mapping) -> str:
    return figure["detail"].split(":", 1)[0]


def detail_of(figure: Mapping) -> str:
    return figure["detail"]


def in_order(counted: Mapping[str, int], known: Sequence[str]) -> list[str]:
    """The keys of ``counted``: those ``known`` in their order, then any other."""
    return [k for k in known if counted.get(k)] + sorted(set(counted) - set(known))


@cache
def report_class() -> type[FPDF]:
    """The report's page: fpdf2's, with the page's number in its footer."""
    from fpdf import FPDF

    class Report(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("helvetica", "", 7)
            self.set_text_color(75, 85, 99)
            self.cell(0, 5, f"Halaman (page) {self.page_no()}", align="C")
            self.set_text_color(0, 0, 0)

    return Report


def monthly_pdf(report: Mapping) -> bytes:
    """The monthly report of ``report`` (the ``monthly`` answer) as a PDF."""
    start, end = report["from"], report["to"]
    months = months_of(start, end)
    figures = report["figures"]
    pdf = report_class()(format="A4")
    pdf.set_title(latin(f"Laporan bulanan PMI {start} {end}"))
    pdf.set_author("PMI platform: reporting")
    pdf.set_creator("PMI platform: reporting")
    pdf.set_margins(LEFT, 15, LEFT)
    pdf.set_auto_page_break(True, 18)
    pdf.add_page()
    _title(pdf, start, end)
    _heading(pdf, "1. Angka per inovasi", "Figures per innovation")
    _innovations(pdf, months, report["innovations"])
    _heading(
        pdf,
        "2. Pendaftaran dan keberangkatan per bulan menurut jenis kelamin",
        "Registrations and departures per month by sex",
    )
    registrations = totals(figures, d.REGISTRATIONS, by_month_and_sex)
    departures = totals(figures, d.DEPARTURES, by_month_and_sex)
    sexes = [
        s for s in SEXES if s != "unknown" or any(k[1] == s for k in registrations + departures)
    ]
    _columns(pdf, "Pendaftaran (registrations)", months, sexes, registrations)
    _columns(pdf, "Keberangkatan (departures)", months, sexes, departures)
    _by_sex_table(pdf, months, sexes, registrations, departures)
    _heading(pdf, "3. Kepulangan menurut alasan", "Returns by reason")
    returns = totals(figures, d.RETURNS, detail_of)
    _bars(pdf, [(REASON_WORDS.get(r, r), returns[r]) for r in in_order(returns, RETURN_REASONS)])
    _heading(pdf, "4. Kasus dibuka menurut aspek", "Cases opened by aspect")
    cases = totals(figures, d.CASES_OPENED, aspect_of)
    _bars(pdf, [(ASPECT_WORDS.get(a, a), cases[a]) for a in in_order(cases, CASE_ASPECTS)])
    _heading(pdf, "5. Corong PAK CAMAT per program dan tahun", "PAK CAMAT's funnel")
    if not report["programmes"]:
        _note(pdf, NONE)
    for programme in report["programmes"]:
        _keep(pdf, 12 + 6 * (6 + len(programme["advanced"]) + 2 * len(programme["follow_ups"])))
        pdf.set_font("helvetica", "B", 9)
        pdf.cell(0, 6, latin(f"{programme['name']} ({programme['year']})"))
        pdf.ln(6)
        _bars(pdf, funnel_steps(programme), peak=max(1, programme["enrolled"]))
    _heading(pdf, "6. Tindakan pertama atas kasus", "Cases' first action, by month received")
    _first_actions(pdf, report.get("first_actions", []))
    _heading(pdf, "7. Pesan terkirim dan biayanya", "Messages sent and their cost")
    _messages(pdf, figures)
    return bytes(pdf.output())


def funnel_steps(programme: Mapping) -> list[tuple[str, int]]:
    """A programme's funnel, step by step, as the console draws it."""
    return [
        ("Terdaftar (enrolled)", programme["enrolled"]),
        *(
            (f"Lolos babak {a['round']} (advanced, round {a['round']})", a["count"])
            for a in programme["advanced"]
        ),
        ("Selesai (completed)", programme["completed"]),
        ("Memulai usaha (started a business)", programme["businesses_started"]),
        ("Penerima penghargaan (awarded)", programme["awarded"]),
        *(
            step
            for f in programme["follow_ups"]
            for step in (
                (f"Usaha berjalan, {f['months']} bln (running)", f["business_running"]),
                (f"Bermigrasi lagi, {f['months']} bln (migrated)", f["migrated_again"]),
            )
        ),
    ]


# the parts ------------------------------------------------------------------------------------


def _title(pdf: FPDF, start: str, end: str) -> None:
    indonesian, english = period_words(start, end)
    pdf.set_font("helvetica", "B", 15)
    pdf.cell(0, 8, "LAPORAN BULANAN PEKERJA MIGRAN INDONESIA", align="C")
    pdf.ln(8)
    pdf.set_font("helvetica", "I", 10)
    pdf.cell(0, 5, "Monthly report on Indonesian migrant workers", align="C")
    pdf.ln(7)
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(0, 6, f"{indonesian} (WIB)", align="C")
    pdf.ln(6)
    pdf.set_font("helvetica", "I", 9)
    pdf.cell(0, 5, english, align="C")
    pdf.ln(6)
    _note(
        pdf,
        "Untuk Bappedalitbang: jumlah saja, tanpa data pribadi. "
        "(For the planning office: counts only, no personal data.)",
    )


def _heading(pdf: FPDF, indonesian: str, english: str) -> None:
    _keep(pdf, 40)
    pdf.ln(3)
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(0, 6, latin(indonesian))
    pdf.ln(5)
    pdf.set_font("helvetica", "I", 8)
    pdf.cell(0, 5, latin(english))
    pdf.ln(6)


def _note(pdf: FPDF, text: str) -> None:
    pdf.set_font("helvetica", "", 8)
    pdf.multi_cell(0, 4, latin(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _keep(pdf: FPDF, height: float) -> None:
    """A new page unless ``height`` mm still fit on this one."""
    if pdf.will_page_break(height):
        pdf.add_page()


def _row(pdf: FPDF, widths: Sequence[float], cells: Sequence[str], style: str = "") -> None:
    pdf.set_font("helvetica", style, 7)
    for n, (width, text) in enumerate(zip(widths, cells, strict=True)):
        pdf.cell(width, 5, latin(text), border=1, align="L" if n == 0 else "R")
    pdf.ln(5)


def _innovations(pdf: FPDF, months: Sequence[str], innovations: Iterable[Mapping]) -> None:
    columns = [(i, m) for i, measures in d.INNOVATIONS.items() for m in measures]
    served = {(row["month"], row["innovation"]): row["figures"] for row in innovations}
    widths = [26.0] + [(WIDTH - 26.0) / len(columns)] * len(columns)
    _row(pdf, widths, ["", *(INNOVATION_NAMES[i] for i, _ in columns)], "B")
    _row(pdf, widths, ["Bulan", *(MEASURE_WORDS[m][0] for _, m in columns)], "B")
    _row(pdf, widths, ["(month)", *(MEASURE_WORDS[m][1] for _, m in columns)], "I")
    summed: Counter = Counter()
    for month in months:
        counts = [served.get((month, i), {}).get(m, 0) for i, m in columns]
        summed.update(dict(enumerate(counts)))
        _keep(pdf, 5)
        _row(pdf, widths, [month_name(month), *map(number, counts)])
    _row(pdf, widths, [TOTAL, *(number(summed[n]) for n in range(len(columns)))], "B")


def _columns(
    pdf: FPDF, title: str, months: Sequence[str], sexes: Sequence[str], counted: Counter
) -> None:
    """A bar per month and sex, side by side, on a scale from 0 to the period's largest count."""
    if not months:  # nothing recorded yet: no chart to draw
        return
    height, axis = 40.0, 12.0
    _keep(pdf, height + 22)
    pdf.set_font("helvetica", "B", 8)
    pdf.cell(0, 5, latin(title))
    pdf.ln(6)
    top = pdf.get_y()
    base, left, width = top + height, LEFT + axis, WIDTH - axis
    peak = max([counted[(m, s)] for m in months for s in sexes] + [1])
    pdf.set_font("helvetica", "", 6)
    pdf.set_draw_color(*GRID_COLOUR)
    pdf.set_line_width(0.2)
    for tick in sorted({0, peak // 2, peak}):
        y = base - height * tick / peak
        pdf.line(left, y, left + width, y)
        pdf.text(LEFT, y + 1, number(tick))
    group = width / len(months)
    bar = group * 0.8 / len(sexes)
    label_every = math.ceil(len(months) / 12)
    for n, month in enumerate(months):
        for k, sex in enumerate(sexes):
            count = counted[(month, sex)]
            if count:
                pdf.set_fill_color(*SEX_COLOURS[sex])
                tall = height * count / peak
                x = left + n * group + group * 0.1 + k * bar
                pdf.rect(x, base - tall, bar, tall, "F")
                if len(months) <= 12:  # the count over its bar, while there is room
                    pdf.text(x, base - tall - 1, number(count))
        if n % label_every == 0:
            pdf.text(left + n * group + group * 0.1, base + 3.5, month_short(month))
    pdf.set_xy(left, base + 5)
    for sex in sexes:
        pdf.set_fill_color(*SEX_COLOURS[sex])
        pdf.rect(pdf.get_x(), pdf.get_y() + 1, 3, 3, "F")
        pdf.set_x(pdf.get_x() + 4)
        pdf.cell(35, 5, SEX_WORDS[sex])
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(8)


def _by_sex_table(
    pdf: FPDF,
    months: Sequence[str],
    sexes: Sequence[str],
    registrations: Counter,
    departures: Counter,
) -> None:
    """The charts' counts, as a table."""
    short = {"F": "P (F)", "M": "L (M)", "unknown": "?"}
    head = [f"Pendaftaran {short[s]}" for s in sexes] + [f"Berangkat {short[s]}" for s in sexes]
    widths = [26.0] + [(WIDTH - 26.0) / len(head)] * len(head)
    _row(pdf, widths, ["Bulan (month)", *head], "B")
    for month in months:
        counts = [registrations[(month, s)] for s in sexes] + [
            departures[(month, s)] for s in sexes
        ]
        _keep(pdf, 5)
        _row(pdf, widths, [month_name(month), *map(number, counts)])


def _first_actions(pdf: FPDF, months: Sequence[Mapping]) -> None:
    if not months:
        _note(pdf, NONE)
        return
    widths = [34.0, 30.0, 30.0, 40.0, 46.0]
    head = ["Bulan (month)", "Diterima", "Ditindak", "Tepat waktu", "Median jam kerja"]
    _row(pdf, widths, head, "B")
    _row(
        pdf, widths, ["", "(received)", "(acted on)", "(within the limit)", "(working hours)"], "I"
    )
    for row in months:
        median = row["median_working_hours"]
        counts = [number(row[k]) for k in ("received", "acted", "acted_in_time")]
        hours = "-" if median is None else f"{median:.1f}".replace(".", ",")
        _keep(pdf, 5)
        _row(pdf, widths, [month_name(row["month"]), *counts, hours])


def _messages(pdf: FPDF, figures: Iterable[Mapping]) -> None:
    """Per kind and channel: the messages sent, their SMS segments and cost in rupiah."""
    measures = (d.NOTIFICATIONS_SENT, d.NOTIFICATION_SEGMENTS, d.NOTIFICATION_COST)
    summed = {m: totals(figures, m, detail_of) for m in measures}
    sent = summed[d.NOTIFICATIONS_SENT]
    if not sent:
        _note(pdf, NONE)
        return
    widths = [70.0, 34.0, 34.0, 42.0]
    _row(pdf, widths, ["Jenis:saluran (kind:channel)", "Pesan", "Segmen SMS", "Biaya (Rp)"], "B")
    for detail in sorted(sent):
        _keep(pdf, 5)
        _row(pdf, widths, [detail, *(number(summed[m][detail]) for m in measures)])
    _row(pdf, widths, [TOTAL, *(number(sum(summed[m].values())) for m in measures)], "B")


def _bars(pdf: FPDF, entries: Sequence[tuple[str, int]], peak: int | None = None) -> None:
    """A horizontal bar per entry: its label, its bar, its count."""
    if not entries:
        _note(pdf, NONE)
        return
    label, room = 70.0, 90.0
    peak = peak or max([count for _, count in entries] + [1])
    pdf.set_fill_color(*BAR_COLOUR)
    for text, count in entries:
        _keep(pdf, 6)
        pdf.set_font("helvetica", "", 8)
        pdf.cell(label, 6, latin(text))
        x, y = pdf.get_x(), pdf.get_y()
        long = room * min(count, peak) / peak
        if long:
            pdf.rect(x, y + 1, long, 4, "F")
        pdf.set_x(x + long + 2)
        pdf.cell(20, 6, number(count))
        pdf.ln(6)
    pdf.ln(2)
