"""The QR code of a worker's orientation ticket, as an SVG her app shows: it holds the ticket's
code and nothing else (no name, no NIK), so that the check-in at the session reads it and finds
her seat, and she shows her identity card beside it."""

from __future__ import annotations

import io

import segno


def qr_svg(ticket: str) -> bytes:
    """The QR code of ``ticket`` (error correction Q: a cracked phone screen still reads), black
    on white with its quiet zone, titled for a screen reader."""
    out = io.BytesIO()
    segno.make_qr(ticket, error="q").save(
        out,
        kind="svg",
        scale=8,
        border=4,
        dark="#000",
        light="#fff",
        title=f"QR tiket {ticket}",
        xmldecl=False,
        svgns=True,
    )
    return out.getvalue()
