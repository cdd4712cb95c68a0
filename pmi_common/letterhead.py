"""The office's letters as PDF pages, with fpdf2 (pure Python, maintained, no system libraries to
install in the image, unlike WeasyPrint's Pango; a letter is a few lines of text, which needs no
HTML engine): the letterhead, lines of text, dates in Bahasa Indonesia. The letters service's
Go-TKI letters and the protection desk's referral letters are both written with it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pmi_common.printing import MONTHS_ID as MONTHS
from pmi_common.printing import latin

if TYPE_CHECKING:
    from fpdf import FPDF

DEFAULT_LETTERHEAD = (
    "PEMERINTAH KABUPATEN BLITAR",
    "DINAS TENAGA KERJA",
    "Layanan Terpadu Satu Atap Pekerja Migran Indonesia (LTSA PMI)",
)


@dataclass(frozen=True)
class Letterhead:
    """The office's letterhead lines (``LETTER_LETTERHEAD``, separated by ``|``), the place
    letters are signed in and the head who signs them."""

    lines: tuple[str, ...] = DEFAULT_LETTERHEAD
    place: str = "Blitar"
    signatory: str = "Kepala Dinas Tenaga Kerja"

    @classmethod
    def from_config(cls, config: Mapping) -> Letterhead:
        lines = tuple(
            part.strip() for part in (config.get("LETTER_LETTERHEAD") or "").split("|") if part
        )
        return cls(
            lines or DEFAULT_LETTERHEAD,
            config.get("LETTER_PLACE") or "Blitar",
            config.get("LETTER_SIGNATORY") or "Kepala Dinas Tenaga Kerja",
        )


def tanggal(day: dt.date) -> str:
    """``6 Desember 2026``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def start(title: str, letterhead: Letterhead) -> FPDF:
    """A page with the office's letterhead and its document's title."""
    from fpdf import FPDF  # a service that draws no letter at rest does not hold fpdf2

    pdf = FPDF(format="A4")
    pdf.set_title(latin(title))
    pdf.set_author(latin(letterhead.lines[-1]))
    pdf.set_creator("PMI platform: Go-TKI")
    pdf.add_page()
    pdf.set_margins(25, 20, 25)
    for n, text in enumerate(letterhead.lines):
        line(pdf, text, 14 if n < 2 else 10, "B" if n < 2 else "", "C")
    pdf.set_line_width(0.8)
    pdf.line(25, pdf.get_y() + 2, 185, pdf.get_y() + 2)
    pdf.ln(8)
    return pdf


def line(pdf: FPDF, text: str, size: int = 11, style: str = "", align: str = "L") -> None:
    pdf.set_font("helvetica", style, size)
    pdf.multi_cell(0, 6, latin(text), align=align, new_x="LMARGIN", new_y="NEXT")


def rows(pdf: FPDF, labelled: tuple[tuple[str, str], ...], width: float = 55) -> None:
    """Label and value, one a line (``Nama : Siti``)."""
    for label, value in labelled:
        pdf.set_font("helvetica", "", 11)
        pdf.cell(width, 6, latin(label))
        pdf.multi_cell(0, 6, latin(f": {value}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
