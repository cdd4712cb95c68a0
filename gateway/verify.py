"""The public pages a person opens to check a paper, in Bahasa Indonesia first: ``GET
/verify/{code}``, a letter's QR code, says whether the letter is valid, revoked (and when) or
unknown, with its type, number, date and the holder's initials only (what ``GET
/api/v1/public/letters/{code}`` answers as JSON); ``GET /verify/certificate/{number}``, the
link on an orientation (OPP) certificate, whether its number is valid, with its date and the
holder's initials only (never the name in full, the NIK or the worker's id). Rate limited per
address like the other public routes; no script, no outside resource.
"""

from __future__ import annotations

import datetime as dt
import html

from nameko.web.handlers import HttpRequestHandler
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from pmi_common.clock import district_date

from .console.files import HEADERS
from .http import GatewayWebServer
from .problems import Problem

COLOURS = {"valid": "#1b7a3a", "revoked": "#b3261e", "unknown": "#555"}
EXPLAINED = {
    "valid": (
        "Surat ini sah: diterbitkan oleh Dinas Tenaga Kerja dan belum dicabut.",
        "This letter is valid: issued by the labour office and not revoked.",
    ),
    "revoked": (
        "Surat ini telah DICABUT dan tidak berlaku lagi.",
        "This letter has been REVOKED and is no longer valid.",
    ),
    "unknown": (
        "Kode ini tidak dikenal. Periksa kode pada surat, atau tanyakan ke LTSA PMI.",
        "This code is not known. Check the code on the letter, or ask the LTSA PMI desk.",
    ),
}
STYLE = (
    "body{font-family:sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "h1{font-size:1.6rem}.status{font-size:2rem;font-weight:bold}"
    "dt{font-weight:bold;margin-top:.6rem}.en{color:#555;font-size:.9rem}"
)


def page(check: dict) -> str:
    """The page for a letter's check (``letters`` ``check_letter``'s answer)."""
    status = check["status"]
    shown = []
    if status != "unknown":
        kind = check["letter_type_label"] or {}
        shown = [
            ("Jenis surat", "Type", f"{kind.get('id', '')}"),
            ("Nomor", "Number", check["number"] or ""),
            ("Tanggal terbit", "Issued on", check["issued_on"] or ""),
            ("Pemegang (inisial)", "Holder (initials)", check["worker_initials"] or ""),
        ]
        if check.get("revoked_at"):
            shown.append(("Dicabut pada", "Revoked at", check["revoked_at"]))
    return _document(
        ("Cek keaslian surat", "Letter check"),
        check["status_label"],
        COLOURS[status],
        EXPLAINED[status],
        shown,
        f"Kode / code: {check['code']}",
    )


CERTIFICATE_LABELS = {
    True: {"id": "SAH", "en": "Valid"},
    False: {"id": "TIDAK DIKENAL", "en": "Unknown"},
}
CERTIFICATE_EXPLAINED = {
    True: (
        "Sertifikat ini sah: pemegangnya telah mengikuti Orientasi Pra-Penempatan (OPP) di "
        "LTSA PMI.",
        "This certificate is valid: its holder attended the pre-departure orientation (OPP) at "
        "the LTSA PMI desk.",
    ),
    False: (
        "Nomor ini tidak dikenal. Periksa nomor pada sertifikat, atau tanyakan ke LTSA PMI.",
        "This number is not known. Check the number on the certificate, or ask the LTSA PMI desk.",
    ),
}


def certificate_page(check: dict) -> str:
    """The page for an orientation certificate's check (``orientation`` ``verify_certificate``'s
    answer): the holder's initials and the date only."""
    valid = bool(check.get("valid"))
    shown = []
    if valid:
        completed = dt.datetime.fromisoformat(check["completed_at"])
        shown = [
            ("Nomor sertifikat", "Certificate number", check["certificate_number"]),
            ("Tanggal", "Date", district_date(completed).isoformat()),
            ("Pemegang (inisial)", "Holder (initials)", check.get("holder_initials") or ""),
        ]
    return _document(
        ("Cek sertifikat OPP", "OPP certificate check"),
        CERTIFICATE_LABELS[valid],
        COLOURS["valid" if valid else "unknown"],
        CERTIFICATE_EXPLAINED[valid],
        shown,
        f"Nomor / number: {check.get('certificate_number') or ''}",
    )


def _document(
    title: tuple[str, str],
    label: dict,
    colour: str,
    said: tuple[str, str],
    shown: list[tuple[str, str, str]],
    footer: str,
) -> str:
    """A check's page: its title, the verdict in large, what it means, what may be shown."""
    e = html.escape
    rows = (
        "<dl>"
        + "".join(
            f'<dt>{e(i)} <span class="en">/ {e(en)}</span></dt><dd>{e(str(v))}</dd>'
            for i, en, v in shown
        )
        + "</dl>"
        if shown
        else ""
    )
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title[0])}: {e(label['id'])}</title><style>{STYLE}</style></head><body>"
        f'<h1>{e(title[0])} <span class="en">/ {e(title[1])}</span></h1>'
        f'<p class="status" style="color:{colour}">{e(label["id"])} '
        f'<span class="en">/ {e(label["en"])}</span></p>'
        f'<p>{e(said[0])}<br><span class="en">{e(said[1])}</span></p>{rows}'
        f'<p class="en">{e(footer)}</p></body></html>'
    )


PAGE_HEADERS = {
    **HEADERS,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def answer(check: dict, shown=page) -> Response:
    """The check's page (a letter's unless ``shown`` says otherwise)."""
    return Response(
        shown(check), headers={**PAGE_HEADERS, "Content-Type": "text/html; charset=utf-8"}
    )


class VerifyPage(HttpRequestHandler):
    """``GET /verify/<code>`` (or another public page of a check): the method's arguments are
    the path's values, ``code`` for a letter's."""

    server = GatewayWebServer()

    def __init__(self, url: str, **kwargs):
        super().__init__("GET", url, **kwargs)

    def get_url_rule(self):
        return Rule(self.url, methods=["GET"])

    def handle_request(self, request: Request) -> Response:
        try:
            self.server.rate_limits.check_public(request)
        except Problem as exc:
            return Response(
                "Terlalu banyak permintaan, coba lagi sebentar lagi (too many requests)\n",
                status=429,
                mimetype="text/plain",
                headers={**PAGE_HEADERS, **exc.headers},
            )
        return super().handle_request(request)

    def get_entrypoint_parameters(self, request):
        return (), dict(request.path_values)

    def response_from_exception(self, exc):
        return Response(
            "Pemeriksaan tidak tersedia saat ini (the check is not available now)\n",
            status=503,
            mimetype="text/plain",
            headers=PAGE_HEADERS,
        )


verify_page = VerifyPage.decorator
