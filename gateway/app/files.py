"""The worker's app's page, script, styles, manifest and service worker, served by the gateway
from ``static/`` (no build step, no outside network): ``GET /app`` is the page, ``GET
/app/<file>`` what it loads. The page holds no data: it signs in and calls the JSON endpoints.

Every answer carries a Content-Security-Policy that allows scripts, styles, the manifest, the
service worker and requests to this origin only (no inline script or style), and the service
worker may control ``/app`` itself (``Service-Worker-Allowed``)."""

from __future__ import annotations

from pathlib import Path

from werkzeug.wrappers import Response

from .. import static

STATIC = Path(__file__).parent / "static"
PAGE = static.PAGE
SERVICE_WORKER = "sw.js"
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; font-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = static.headers_under(POLICY)


def answer(asset: str) -> Response:
    """The file ``asset`` under ``static/`` (the page when empty); 404 for anything else. The
    service worker may control ``/app`` itself."""
    return static.answer(
        STATIC,
        asset,
        HEADERS,
        also=lambda name: {"Service-Worker-Allowed": "/app"} if name == SERVICE_WORKER else {},
    )
