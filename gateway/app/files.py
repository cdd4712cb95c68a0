"""The worker's app's page, script, styles, manifest and service worker, served by the gateway
from ``static/`` (no build step, no outside network): ``GET /app`` is the page, ``GET
/app/<file>`` what it loads. The page holds no data: it signs in and calls the JSON endpoints.

Every answer carries a Content-Security-Policy that allows scripts, styles, the manifest, the
service worker and requests to this origin only (no inline script or style), and the service
worker may control ``/app`` itself (``Service-Worker-Allowed``)."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from werkzeug.security import safe_join
from werkzeug.wrappers import Response

STATIC = Path(__file__).parent / "static"
PAGE = "index.html"
SERVICE_WORKER = "sw.js"
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; font-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}
TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
}


def answer(asset: str) -> Response:
    """The file ``asset`` under ``static/`` (the page when empty); 404 for anything else."""
    path = safe_join(str(STATIC), asset or PAGE)
    if path is None or not Path(path).is_file() or Path(path).name.startswith("."):
        return Response("not found\n", status=404, mimetype="text/plain", headers=HEADERS)
    suffix = Path(path).suffix
    mimetype = TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    charset = "; charset=utf-8" if mimetype.startswith("text/") else ""
    headers = {**HEADERS, "Content-Type": mimetype + charset}
    if Path(path).name == SERVICE_WORKER:
        headers["Service-Worker-Allowed"] = "/app"
    return Response(Path(path).read_bytes(), headers=headers)
