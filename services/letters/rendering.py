"""A letter as a PDF (``pmi_common.letterhead``): the office's letterhead, the type and number,
the holder, what the letter says, and a QR code (segno) to the public check ``/verify/{code}``
with the code printed beside it. The signature is added afterwards (``signing``)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping

import segno
from fpdf import FPDF

from pmi_common.letterhead import Letterhead, latin, line, rows, start, tanggal

from .domain import FAMILY_PERMISSION, PASSPORT, SKCK, Letter

RELATIONS_ID = {"spouse": "suami/istri", "parent": "orang tua", "guardian": "wali"}
TITLES = {
    FAMILY_PERMISSION: "SURAT IZIN KELUARGA",
    PASSPORT: "SURAT REKOMENDASI PENERBITAN PASPOR",
    SKCK: "SURAT REKOMENDASI PENERBITAN SKCK",
}
ADDRESSED = {
    PASSPORT: "Kepala Kantor Imigrasi",
    SKCK: "Kepala Kepolisian Resor",
}


def _holder(pdf: FPDF, worker: Mapping) -> None:
    """The worker the letter is about."""
    address = worker.get("address") or {}
    place = (address.get("village"), address.get("district"), address.get("regency"))
    labelled = (
        ("Nama", worker.get("full_name") or "-"),
        ("Tanggal lahir", _date_of(worker.get("birth_date"))),
        ("Jenis kelamin", {"F": "Perempuan", "M": "Laki-laki"}.get(worker.get("sex") or "", "-")),
        ("Alamat", ", ".join(v for v in place if v) or "-"),
        ("Negara tujuan", worker.get("destination_country") or "-"),
        ("Perusahaan penempatan", worker.get("placement_agency") or "-"),
    )
    rows(pdf, labelled)


def _qr(pdf: FPDF, content: str, x: float, y: float, size: float = 32) -> None:
    qr = segno.make(content, error="m")
    image = io.BytesIO()
    qr.save(image, kind="png", scale=4, border=2)
    image.seek(0)
    pdf.image(image, x=x, y=y, w=size)


def render(
    letter: Letter,
    worker: Mapping,
    giver: Mapping | None,
    verify_url: str,
    letterhead: Letterhead,
) -> bytes:
    """The letter's PDF, unsigned. ``worker`` is registration's record; ``giver`` the family
    member who gave the family permission."""
    assert letter.issued_on is not None and letter.number is not None
    pdf = start(f"{TITLES[letter.letter_type]} {letter.number}", letterhead)
    line(pdf, TITLES[letter.letter_type], 13, "BU", "C")
    line(pdf, f"Nomor: {letter.number}", 11, "", "C")
    pdf.ln(4)
    if letter.letter_type in ADDRESSED:
        line(pdf, f"Kepada Yth. {ADDRESSED[letter.letter_type]}")
        line(pdf, "di tempat")
        pdf.ln(3)
    line(pdf, f"Yang bertanda tangan di bawah ini, {letterhead.signatory}, menerangkan bahwa:")
    pdf.ln(2)
    _holder(pdf, worker)
    line(pdf, _body(letter, giver))
    pdf.ln(3)
    line(pdf, "Demikian surat ini dibuat untuk dipergunakan sebagaimana mestinya.")
    pdf.ln(6)
    top = pdf.get_y()
    pdf.set_x(115)
    pdf.set_font("helvetica", "", 11)
    pdf.multi_cell(
        70,
        6,
        latin(
            f"{letterhead.place}, {tanggal(letter.issued_on)}\n{letterhead.signatory}\n\n"
            "Ditandatangani secara elektronik"
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    _qr(pdf, verify_url, 25, top)
    pdf.set_xy(25, top + 34)
    pdf.set_font("helvetica", "", 8)
    pdf.multi_cell(
        85,
        4,
        latin(
            f"Periksa keaslian surat ini (check this letter): {verify_url}\n"
            f"Kode verifikasi: {letter.verification_code}"
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def render_form(
    letter: Letter, worker: Mapping, givers: list[Mapping], letterhead: Letterhead
) -> bytes:
    """Offline: the family permission's form the desk prints, for the permission giver and the
    village head to sign on paper; its QR code names the request, so that the scan uploaded
    afterwards is matched to it."""
    pdf = start(f"FORMULIR {TITLES[FAMILY_PERMISSION]}", letterhead)
    line(pdf, f"FORMULIR {TITLES[FAMILY_PERMISSION]}", 13, "BU", "C")
    line(pdf, f"Nomor permohonan: {letter.id}", 9, "", "C")
    pdf.ln(4)
    line(pdf, "Yang bertanda tangan di bawah ini memberi izin kepada:")
    pdf.ln(2)
    _holder(pdf, worker)
    line(pdf, "untuk bekerja di luar negeri. Pemberi izin (beri tanda pada salah satu):")
    for member in givers:
        relation = RELATIONS_ID.get(member.get("relation") or "", "keluarga")
        line(pdf, f"[   ]  {member.get('full_name')} ({relation})")
    pdf.ln(2)
    line(pdf, "Tanggal izin diberikan: ____ / ____ / ________")
    pdf.ln(6)
    top = pdf.get_y()
    pdf.set_font("helvetica", "", 11)
    pdf.multi_cell(70, 6, latin("Pemberi izin,\n\n\n\n(........................)"))
    pdf.set_xy(115, top)
    pdf.multi_cell(
        70,
        6,
        latin(
            f"Mengetahui,\nKepala Desa/Lurah (kode wilayah {letter.village_code})\n\n\n"
            "(........................)\ncap desa"
        ),
    )
    _qr(pdf, f"pmi-letter:{letter.id}", 25, pdf.get_y() + 8, 28)
    return bytes(pdf.output())


def _date_of(value) -> str:
    if not value:
        return "-"
    return tanggal(dt.date.fromisoformat(str(value)[:10]))


def _body(letter: Letter, giver: Mapping | None) -> str:
    if letter.letter_type == FAMILY_PERMISSION:
        relation = RELATIONS_ID.get(letter.permission_giver_relation or "", "keluarga")
        name = (giver or {}).get("full_name") or "-"
        given = tanggal(letter.permission_given_on) if letter.permission_given_on else "-"
        return (
            f"telah mendapat izin dari {relation}nya, {name}, pada tanggal {given} untuk bekerja "
            f"di luar negeri, dan izin tersebut telah diketahui oleh Kepala Desa/Lurah "
            f"(kode wilayah {letter.village_code})."
        )
    purpose = "penerbitan paspor" if letter.letter_type == PASSPORT else "penerbitan SKCK"
    return (
        "adalah calon Pekerja Migran Indonesia yang terdaftar pada Dinas Tenaga Kerja, telah "
        "memiliki izin keluarga yang diketahui Kepala Desa/Lurah, dan kami rekomendasikan untuk "
        f"{purpose} guna bekerja di luar negeri melalui prosedur resmi."
    )
