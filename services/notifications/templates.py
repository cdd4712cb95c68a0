"""The words of every message, in Bahasa Indonesia first and English second (Jinja2).

Each fits one SMS (160 GSM-7 characters) with an ordinary name and place: plain ASCII, no
curly quotes or dashes that would make it UCS-2 (70 characters a segment). A message never holds
a NIK, a health detail or a case's content: the context is built from the event's fields named
here, free text is cut short and scrubbed of NIK-like numbers, and a text that still holds one is
refused (``UnsafeMessage``) rather than sent.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from jinja2 import DictLoader, Environment, StrictUndefined

from pmi_common import nik_like

from .domain import (
    CASE_NEWS,
    CASE_UPDATE,
    CERTIFICATE_ISSUED,
    CLEARED_FOR_DEPARTURE,
    CONTRACT_ENDING,
    DISTRICT_TIMEZONE,
    DOCUMENT_EXPIRING,
    DOCUMENT_REJECTED,
    DOCUMENTS_COMPLETED,
    EMERGENCY,
    ENGLISH,
    FAMILY_BEREAVEMENT,
    FAMILY_REPATRIATED,
    INDONESIAN,
    LETTER_READY,
    REGISTERED,
    SEAT_RELEASED,
    SEAT_TAKEN,
    SESSION_CANCELLED,
    SESSION_REMINDER,
    SIGN_IN_CODE,
    WELCOME_HOME,
)

TEMPLATES: dict[str, dict[str, str]] = {
    REGISTERED: {
        INDONESIAN: "Halo {{ name }}, pendaftaran PMI Anda diterima. Langkah berikut: bawa "
        "dokumen Anda ke {{ desk }}. Balas BERHENTI untuk berhenti.",
        ENGLISH: "Hello {{ name }}, your PMI registration is accepted. Next: bring your "
        "documents to {{ desk }}. Reply STOP to opt out.",
    },
    DOCUMENT_REJECTED: {
        INDONESIAN: "{{ document_type | document(lang) }} Anda belum diterima"
        "{% if reason %}: {{ reason }}{% endif %}. Perbaiki dan serahkan lagi di {{ desk }}.",
        ENGLISH: "Your {{ document_type | document(lang) }} was not accepted"
        "{% if reason %}: {{ reason }}{% endif %}. Please correct it and bring it to {{ desk }}.",
    },
    DOCUMENTS_COMPLETED: {
        INDONESIAN: "Semua dokumen Anda sudah diverifikasi. Langkah berikut: orientasi pra "
        "pemberangkatan (OPP). Daftar di {{ desk }}.",
        ENGLISH: "All your documents are verified. Next: the pre-departure orientation (OPP). "
        "Enrol at {{ desk }}.",
    },
    SEAT_TAKEN: {
        INDONESIAN: "Anda terdaftar di OPP {{ starts_at | day(lang) }} pukul "
        "{{ starts_at | hour }} WIB{% if location %} di {{ location }}{% endif %}. "
        "Bawa KTP asli.",
        ENGLISH: "You are enrolled in the OPP on {{ starts_at | day(lang) }} at "
        "{{ starts_at | hour }} WIB{% if location %} at {{ location }}{% endif %}. "
        "Bring your ID card.",
    },
    SEAT_RELEASED: {
        INDONESIAN: "Tempat Anda di OPP {{ starts_at | day(lang) }} dilepas. Daftar sesi lain "
        "di {{ desk }}.",
        ENGLISH: "Your seat in the OPP on {{ starts_at | day(lang) }} was released. Enrol in "
        "another session at {{ desk }}.",
    },
    SESSION_CANCELLED: {
        INDONESIAN: "Mohon maaf, OPP {{ starts_at | day(lang) }} dibatalkan. Daftar sesi lain "
        "di {{ desk }}.",
        ENGLISH: "Sorry, the OPP on {{ starts_at | day(lang) }} is cancelled. Enrol in another "
        "session at {{ desk }}.",
    },
    CERTIFICATE_ISSUED: {
        INDONESIAN: "Selamat, Anda lulus OPP. Nomor sertifikat: {{ certificate }}.",
        ENGLISH: "Congratulations, you completed the OPP. Certificate number: {{ certificate }}.",
    },
    CLEARED_FOR_DEPARTURE: {
        INDONESIAN: "Semua syarat keberangkatan Anda lengkap. Hubungi {{ desk }} untuk "
        "mencatat keberangkatan. Semoga sukses!",
        ENGLISH: "All your departure requirements are complete. Contact {{ desk }} to record "
        "your departure. Good luck!",
    },
    WELCOME_HOME: {
        INDONESIAN: "Selamat datang kembali, {{ name }}."
        "{% if programme %} Program wirausaha terbuka untuk Anda: {{ programme }}.{% endif %}"
        " Info di {{ desk }}.",
        ENGLISH: "Welcome home, {{ name }}."
        "{% if programme %} An entrepreneurship programme is open to you: {{ programme }}."
        "{% endif %} Ask at {{ desk }}.",
    },
    CONTRACT_ENDING: {
        INDONESIAN: "Halo {{ name }}, kontrak kerja Anda berakhir {{ ends_on | day(lang) }}."
        "{% if programme %} Setelah pulang, Anda diundang ke program wirausaha {{ programme }}."
        "{% endif %} Info di {{ desk }}.",
        ENGLISH: "Hello {{ name }}, your work contract ends on {{ ends_on | day(lang) }}."
        "{% if programme %} Once home, you are invited to the entrepreneurship programme "
        "{{ programme }}.{% endif %} Ask at {{ desk }}.",
    },
    DOCUMENT_EXPIRING: {
        INDONESIAN: "{{ document_type | document(lang) }} Anda berlaku sampai "
        "{{ expires_on | day(lang) }} ({{ days_left }} hari lagi). "
        "{% if abroad %}Perpanjang di KBRI/KJRI, lalu kirim salinannya ke {{ desk }}."
        "{% else %}Perpanjang di kantor imigrasi, lalu bawa ke {{ desk }}.{% endif %}",
        ENGLISH: "Your {{ document_type | document(lang) }} is valid until "
        "{{ expires_on | day(lang) }} ({{ days_left }} days left). "
        "{% if abroad %}Renew it at the embassy or consulate, then send a copy to {{ desk }}."
        "{% else %}Renew it at the immigration office, then bring it to {{ desk }}.{% endif %}",
    },
    SESSION_REMINDER: {
        INDONESIAN: "Pengingat: OPP Anda besok, {{ starts_at | day(lang) }} pukul "
        "{{ starts_at | hour }} WIB{% if location %} di {{ location }}{% endif %}. "
        "Bawa KTP asli.",
        ENGLISH: "Reminder: your OPP is tomorrow, {{ starts_at | day(lang) }} at "
        "{{ starts_at | hour }} WIB{% if location %} at {{ location }}{% endif %}. "
        "Bring your ID card.",
    },
    SIGN_IN_CODE: {
        INDONESIAN: "Kode masuk PMI Anda: {{ code }}. Jangan berikan kepada siapa pun.",
        ENGLISH: "Your PMI sign-in code: {{ code }}. Do not give it to anyone.",
    },
    EMERGENCY: {
        INDONESIAN: "PENTING dari {{ desk }}: {{ text }}",
        ENGLISH: "IMPORTANT from {{ desk }}: {{ text }}",
    },
    LETTER_READY: {
        INDONESIAN: "{{ letter_type | letter(lang) }} Anda sudah terbit. Ambil di {{ desk }}. "
        "Keasliannya dapat dicek dengan kode pada surat.",
        ENGLISH: "Your {{ letter_type | letter(lang) }} is issued. Collect it at {{ desk }}. "
        "Anyone can check it with the code on it.",
    },
    CASE_UPDATE: {
        INDONESIAN: "Pengaduan {{ number }} {{ step | step(lang) }}. Tanya {{ desk }} dengan "
        "nomor ini.",
        ENGLISH: "Case {{ number }} {{ step | step(lang) }}. Ask {{ desk }} quoting this number.",
    },
    CASE_NEWS: {
        INDONESIAN: "Ada kabar untuk Anda dari {{ desk }} (nomor {{ number }}). Hubungi kami "
        "bila Anda sempat.",
        ENGLISH: "There is news for you from {{ desk }} (number {{ number }}). Contact us when "
        "you can.",
    },
    FAMILY_BEREAVEMENT: {
        INDONESIAN: "Turut berduka cita atas wafatnya {{ worker }}."
        "{% if arrive_on %} Jenazah tiba {{ arrive_on | day(lang) }}.{% endif %}"
        " Bantuan dan hak ahli waris: {{ desk }}.",
        ENGLISH: "Our condolences on the death of {{ worker }}."
        "{% if arrive_on %} The remains arrive on {{ arrive_on | day(lang) }}.{% endif %}"
        " Help and heirs' rights: {{ desk }}.",
    },
    FAMILY_REPATRIATED: {
        INDONESIAN: "{{ worker }} sudah dipulangkan ke Indonesia"
        "{% if returned_on %} pada {{ returned_on | day(lang) }}{% endif %}. Info di {{ desk }}.",
        ENGLISH: "{{ worker }} has been brought home to Indonesia"
        "{% if returned_on %} on {{ returned_on | day(lang) }}{% endif %}. Ask at {{ desk }}.",
    },
}

DOCUMENT_NAMES = {
    "marital_status_letter": {
        INDONESIAN: "Surat status perkawinan",
        ENGLISH: "marital status letter",
    },
    "family_permission_letter": {
        INDONESIAN: "Surat izin keluarga",
        ENGLISH: "family permission letter",
    },
    "competency_certificate": {
        INDONESIAN: "Sertifikat kompetensi",
        ENGLISH: "competency certificate",
    },
    "health_certificate": {INDONESIAN: "Surat keterangan sehat", ENGLISH: "health certificate"},
    "passport": {INDONESIAN: "Paspor", ENGLISH: "passport"},
    "work_visa": {INDONESIAN: "Visa kerja", ENGLISH: "work visa"},
    "placement_agreement": {INDONESIAN: "Perjanjian penempatan", ENGLISH: "placement agreement"},
    "employment_contract": {INDONESIAN: "Perjanjian kerja", ENGLISH: "employment contract"},
}
LETTER_NAMES = {
    "family_permission": {INDONESIAN: "Surat izin keluarga", ENGLISH: "family permission letter"},
    "passport_recommendation": {
        INDONESIAN: "Surat rekomendasi paspor",
        ENGLISH: "passport recommendation letter",
    },
    "skck_recommendation": {
        INDONESIAN: "Surat rekomendasi SKCK",
        ENGLISH: "police certificate (SKCK) recommendation",
    },
}
# a protection case's steps in plain words (never the case's type, aspect or content)
CASE_STEPS = {
    "received": {INDONESIAN: "sudah kami terima", ENGLISH: "has been received"},
    "assessed": {INDONESIAN: "sedang ditelaah petugas", ENGLISH: "is being assessed"},
    "referred": {
        INDONESIAN: "diteruskan ke pihak yang berwenang",
        ENGLISH: "was referred to the body that must act",
    },
    "in_progress": {INDONESIAN: "sedang ditangani", ENGLISH: "is being handled"},
    "resolved": {INDONESIAN: "selesai ditangani", ENGLISH: "has been resolved"},
    "closed": {INDONESIAN: "ditutup", ENGLISH: "has been closed"},
    "reopened": {INDONESIAN: "dibuka kembali", ENGLISH: "was reopened"},
}
# documents whose rejection reason may describe the person's health: never said in a message
HEALTH_DOCUMENTS = frozenset({"health_certificate"})
MONTHS = {
    INDONESIAN: (
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "Mei",
        "Jun",
        "Jul",
        "Agu",
        "Sep",
        "Okt",
        "Nov",
        "Des",
    ),
    ENGLISH: ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
LONGEST_FREE_TEXT = 60  # a reason, a place, a programme's name: cut to keep one SMS
LONGEST_NAME = 20


class UnsafeMessage(ValueError):
    """A rendered message that holds a NIK-like number: refused, never sent."""


def _day(at: dt.date, language: str = INDONESIAN) -> str:
    """A moment's day in the district (WIB), or a date as it is."""
    local = at.astimezone(ZoneInfo(DISTRICT_TIMEZONE)) if isinstance(at, dt.datetime) else at
    return f"{local.day} {MONTHS[language][local.month - 1]} {local.year}"


def _hour(at: dt.datetime) -> str:
    return at.astimezone(ZoneInfo(DISTRICT_TIMEZONE)).strftime("%H.%M")


_environment = Environment(
    loader=DictLoader(
        {
            f"{kind}.{language}": text
            for kind, by in TEMPLATES.items()
            for language, text in by.items()
        }
    ),
    undefined=StrictUndefined,
    autoescape=False,  # text messages, not HTML
    keep_trailing_newline=False,
)
_environment.filters["day"] = _day
_environment.filters["hour"] = _hour
_environment.filters["document"] = lambda code, language: document_name(code, language)
_environment.filters["letter"] = lambda code, language: LETTER_NAMES[code][language]
_environment.filters["step"] = lambda status, language: CASE_STEPS[status][language]
_SPACES = re.compile(r"\s+")


def free_text(value: str | None, longest: int = LONGEST_FREE_TEXT) -> str:
    """Someone's free text made fit for a message: NIK-like numbers blanked, one line, cut."""
    if not value:
        return ""
    text = _SPACES.sub(" ", nik_like.replace(value, lambda _: "[...]")).strip()
    return text if len(text) <= longest else text[: longest - 3].rstrip() + "..."


def first_name(full_name: str | None) -> str:
    words = (full_name or "").split()
    return free_text(words[0] if words else "", LONGEST_NAME)


def document_name(document_type: str, language: str) -> str:
    return DOCUMENT_NAMES.get(document_type, {}).get(language, document_type.replace("_", " "))


def render(kind: str, language: str, context: dict) -> str:
    """The message of ``kind`` in ``language`` (Bahasa Indonesia when it has no other)."""
    if language not in TEMPLATES[kind]:
        language = INDONESIAN
    text = _environment.get_template(f"{kind}.{language}").render(**context, lang=language)
    text = _SPACES.sub(" ", text).strip()
    if nik_like.contains(text):
        raise UnsafeMessage(f"a {kind} message would hold a NIK-like number: not sent")
    return text
