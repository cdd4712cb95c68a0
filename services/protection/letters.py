"""The referral letter (*surat rujukan*) a case referred to a body outside the platform carries,
as a PDF on the office's letterhead (``pmi_common.letterhead``): the case's number, the body it is
addressed to, the worker (the NIK masked: its region and sequence, never the birth date), the
destination country, the employer and placement company when known, the type of case, the
summary the caseworker confirmed, and how to answer. The letter is made once, when the case is
referred, and kept: what was sent is what is printed again. Also the mail that carries it."""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate
from zoneinfo import ZoneInfo

from pmi_common.identity import mask_nik
from pmi_common.letterhead import Letterhead, latin, line, rows, start, tanggal
from pmi_common.workdays import DISTRICT_TIMEZONE

from .domain import Case, Referral

TYPES_ID = {
    "unpaid_wages": "gaji tidak dibayar",
    "excess_fees": "biaya penempatan berlebih",
    "violence_abuse": "kekerasan atau penganiayaan",
    "illness_injury": "sakit atau kecelakaan",
    "detention_legal": "ditahan atau masalah hukum",
    "death": "meninggal dunia",
    "lost_contact": "hilang kontak",
    "contract_violation": "pelanggaran perjanjian kerja",
    "documents_held": "dokumen ditahan pemberi kerja",
    "trafficking": "dugaan perdagangan orang",
    "wants_to_return": "ingin pulang",
    "other": "lainnya",
}
URGENCIES_ID = {"emergency": "darurat", "high": "tinggi", "normal": "biasa"}
TITLE = "SURAT RUJUKAN"


def letter_number(case: Case, referral: Referral) -> str:
    """``PGD-2026-7K3M9Q2B/RJK/2``: the case's number and the referral's place among its
    referrals."""
    return f"{case.number}/RJK/{case.referrals.index(referral) + 1}"


def render(case: Case, referral: Referral, worker: Mapping | None, letterhead: Letterhead) -> bytes:
    """The letter's PDF. ``worker`` is registration's record of the case's worker (None for
    someone not registered: the case says who)."""
    number = letter_number(case, referral)
    pdf = start(f"{TITLE} {number}", letterhead)
    line(pdf, TITLE, 13, "BU", "C")
    line(pdf, f"Nomor: {number}", 11, "", "C")
    pdf.ln(4)
    line(pdf, f"Kepada Yth. {referral.name or '-'}")
    line(pdf, "di tempat")
    pdf.ln(3)
    line(
        pdf,
        "Perihal: rujukan penanganan kasus Pekerja Migran Indonesia. Dengan hormat, Layanan "
        "Terpadu Satu Atap (LTSA) PMI merujuk kasus berikut kepada Bapak/Ibu untuk "
        "ditindaklanjuti:",
    )
    pdf.ln(2)
    rows(pdf, _about(case, worker))
    line(pdf, "Ringkasan kasus:", 11, "B")
    line(pdf, referral.summary or "-")
    pdf.ln(3)
    line(
        pdf,
        f"Mohon tanggapan Bapak/Ibu disampaikan kepada kami dengan menyebut nomor kasus "
        f"{case.number}. Surat ini bersifat rahasia: mohon tidak diteruskan kepada pihak lain "
        "selain yang menangani kasus ini.",
    )
    pdf.ln(6)
    day = referral.referred_at.astimezone(ZoneInfo(DISTRICT_TIMEZONE)).date()
    pdf.set_x(105)
    pdf.set_font("helvetica", "", 11)
    signed = f"{letterhead.place}, {tanggal(day)}\n{letterhead.signatory}\n\n\n"
    signed += f"(petugas pengaduan: {referral.referred_by or '-'})"
    pdf.multi_cell(80, 6, latin(signed), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _about(case: Case, worker: Mapping | None) -> tuple[tuple[str, str], ...]:
    """The case and its worker as the body needs them to act; the NIK masked."""
    known = worker or {}
    nik = known.get("nik")
    where = ("Kode wilayah desa", case.village_code) if case.village_code else ("NIK", "-")
    return (
        ("Nomor kasus", case.number),
        ("Nama pekerja", known.get("full_name") or case.person_name or "-"),
        ("NIK", mask_nik(nik)) if nik else where,
        ("Negara tujuan", case.destination_country or known.get("destination_country") or "-"),
        ("Pemberi kerja", case.employer or known.get("employer") or "tidak diketahui"),
        ("Perusahaan penempatan", known.get("placement_agency") or "tidak diketahui"),
        ("Jenis kasus", TYPES_ID.get(case.case_type, case.case_type)),
        ("Urgensi", URGENCIES_ID.get(case.urgency, case.urgency)),
        ("Diterima", tanggal(case.received_at.astimezone(ZoneInfo(DISTRICT_TIMEZONE)).date())),
    )


def mail(case: Case, referral: Referral, sender: str, reply_to: str | None) -> EmailMessage:
    """The mail carrying the letter to the body: the letter attached, a few lines saying what it
    is (Bahasa Indonesia, then English), nothing of the case but its number."""
    assert referral.letter is not None and referral.email is not None
    number = letter_number(case, referral)
    message = EmailMessage()
    message["From"], message["To"] = sender, referral.email
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = f"Surat rujukan kasus {case.number} (referral letter)"
    message["Message-ID"] = f"<referral-{referral.id}@pmi-protection>"  # the same on every try
    message["Date"] = formatdate(usegmt=True)
    message.set_content(
        f"Kepada Yth. {referral.name}\n\n"
        f"Terlampir surat rujukan nomor {number} dari LTSA PMI. Mohon balas surel ini dengan "
        f"menyebut nomor kasus {case.number}.\n\n"
        f"Attached is referral letter {number} from the LTSA PMI complaints desk. Please reply "
        f"to this mail quoting case {case.number}.\n"
    )
    message.add_attachment(
        referral.letter,
        maintype="application",
        subtype="pdf",
        filename=f"surat-rujukan-{number.replace('/', '-')}.pdf",
    )
    return message
