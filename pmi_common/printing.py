"""What the services' printed documents (fpdf2) share: the months' names in Bahasa Indonesia and
English, and text made writable by fpdf2's core fonts."""

from __future__ import annotations

MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def latin(text: str) -> str:
    """fpdf2's core fonts write Latin-1; anything else is shown as ``?`` rather than lost."""
    return text.encode("latin-1", "replace").decode("latin-1")
