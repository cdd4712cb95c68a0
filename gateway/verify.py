"""The public page a letter's QR code opens: ``GET /verify/{code}`` says to a person, in Bahasa
Indonesia first, whether the letter is valid, revoked (and when) or unknown, with its type,
number, date and the holder's initials only; what ``GET /api/v1/public/letters/{code}`` answers
as JSON. Rate limited per address like the other public routes; no script, no outside resource.
"""

from __future__ import annotations

import html

from nameko.web.handlers import HttpRequestHandler
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

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
    """The page for a check (``letters`` ``check_letter``'s answer)."""
    status = check["status"]
    label = check["status_label"]
    said, said_en = EXPLAINED[status]
    e = html.escape
    rows = ""
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
        rows = (
            "<dl>"
            + "".join(
                f'<dt>{e(i)} <span class="en">/ {e(en)}</span></dt><dd>{e(str(v))}</dd>'
                for i, en, v in shown
            )
            + "</dl>"
        )
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Cek keaslian surat: {e(label['id'])}</title><style>{STYLE}</style></head><body>"
        '<h1>Cek keaslian surat <span class="en">/ Letter check</span></h1>'
        f'<p class="status" style="color:{COLOURS[status]}">{e(label["id"])} '
        f'<span class="en">/ {e(label["en"])}</span></p>'
        f'<p>{e(said)}<br><span class="en">{e(said_en)}</span></p>{rows}'
        f'<p class="en">Kode / code: {e(check["code"])}</p></body></html>'
    )


PAGE_HEADERS = {
    **HEADERS,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def answer(check: dict) -> Response:
    return Response(
        page(check), headers={**PAGE_HEADERS, "Content-Type": "text/html; charset=utf-8"}
    )


class VerifyPage(HttpRequestHandler):
    """``GET /verify/<code>``: the method's ``code`` argument is the code in the path."""

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
        return (), {"code": request.path_values.get("code", "")}

    def response_from_exception(self, exc):
        return Response(
            "Pemeriksaan surat tidak tersedia saat ini (the check is not available now)\n",
            status=503,
            mimetype="text/plain",
            headers=PAGE_HEADERS,
        )


verify_page = VerifyPage.decorator
