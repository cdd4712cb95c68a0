"""The console's page, scripts and styles, served by the gateway from ``static/`` (no build step,
no outside network): ``GET /console`` is the page, ``GET /console/<file>`` what it loads.

The page holds no data and needs no token: it signs in in the browser and calls the JSON
endpoints under ``/api/v1/ops`` with the bearer token, which decide who may see what. Every answer
carries a Content-Security-Policy that allows scripts, styles and requests to this origin only.
"""

from __future__ import annotations

from pathlib import Path

from nameko.web.handlers import HttpRequestHandler
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from .. import static
from ..http import GatewayWebServer

STATIC = Path(__file__).parent / "static"
PAGE = static.PAGE
DEFAULT_REFRESH_SECONDS = 5.0  # CONSOLE_REFRESH_SECONDS
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = static.headers_under(POLICY)
REFRESH = b'<meta name="refresh-seconds" content="5">'


def answer(asset: str, refresh_seconds: float = DEFAULT_REFRESH_SECONDS) -> Response:
    """The file ``asset`` under ``static/`` (the page when empty); 404 for anything else. The
    page says how often it reads the gateway again: every ``refresh_seconds``."""

    def with_refresh(name: str, content: bytes) -> bytes:
        if name != PAGE:
            return content
        return content.replace(REFRESH, REFRESH.replace(b'"5"', f'"{refresh_seconds:g}"'.encode()))

    return static.answer(STATIC, asset, HEADERS, shaped=with_refresh)


class ConsoleFile(HttpRequestHandler):
    """``GET /console`` (the page) or ``GET /console/<asset>``: the method's ``asset`` argument
    is the file asked for, empty for the page."""

    server = GatewayWebServer()

    def __init__(self, url: str, **kwargs):
        super().__init__("GET", url, **kwargs)

    def get_url_rule(self):
        defaults = None if "<" in self.url else {"asset": ""}
        return Rule(self.url, methods=["GET"], defaults=defaults)

    def handle_request(self, request: Request) -> Response:
        """The file, compressed and answered 304 for a copy the browser holds (``static``)."""
        return static.delivered(super().handle_request(request), request)

    def get_entrypoint_parameters(self, request):
        return (), {"asset": request.path_values.get("asset", "")}

    def response_from_exception(self, exc):
        return Response(
            "the console could not be served\n", status=500, mimetype="text/plain", headers=HEADERS
        )


console_file = ConsoleFile.decorator
