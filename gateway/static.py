"""The static pages the gateway serves (the operators' console, the worker's app): a file of a
folder with no build step and no outside network, under a Content-Security-Policy of the page's
own and the headers every such answer carries."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from collections.abc import Callable, Mapping
from pathlib import Path

from werkzeug.security import safe_join
from werkzeug.wrappers import Request, Response

PAGE = "index.html"
SMALLEST_COMPRESSED = 512  # bytes: below, gzip's header is most of what it would save
TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
}


def headers_under(policy: str) -> dict[str, str]:
    """What every static answer carries, under the page's ``policy``."""
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-cache",
    }


def answer(
    folder: Path,
    asset: str,
    headers: Mapping[str, str],
    shaped: Callable[[str, bytes], bytes] | None = None,
    also: Callable[[str], Mapping[str, str]] | None = None,
) -> Response:
    """The file ``asset`` under ``folder`` (the page when empty), ``shaped(name, content)`` if
    given, with ``also(name)``'s headers besides; 404 for anything else (a path out of the
    folder, a hidden file)."""
    path = safe_join(str(folder), asset or PAGE)
    if path is None or not Path(path).is_file() or Path(path).name.startswith("."):
        return Response("not found\n", status=404, mimetype="text/plain", headers=dict(headers))
    name = Path(path).name
    mimetype = (
        TYPES.get(Path(path).suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    )
    charset = "; charset=utf-8" if mimetype.startswith("text/") else ""
    content = Path(path).read_bytes()
    if shaped is not None:
        content = shaped(name, content)
    return Response(
        content,
        headers={**headers, **(also(name) if also else {}), "Content-Type": mimetype + charset},
    )


def delivered(response: Response, request: Request) -> Response:
    """``response`` as it crosses the network: marked with an ETag of its content, so that a
    browser holding that copy is answered 304 without the file (``no-cache`` has it ask each
    time), and compressed with gzip when the browser accepts it and the file is text."""
    if response.status_code != 200 or response.direct_passthrough:
        return response
    body = response.get_data()
    compressed = (
        "gzip" in request.accept_encodings
        and len(body) >= SMALLEST_COMPRESSED
        and _textual(response.mimetype or "")
    )
    response.headers["Vary"] = "Accept-Encoding"
    response.set_etag(hashlib.sha256(body).hexdigest()[:32] + ("-gzip" if compressed else ""))
    if compressed:
        response.set_data(gzip.compress(body, 9, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
    return response.make_conditional(request)


def _textual(mimetype: str) -> bool:
    return mimetype.startswith("text/") or mimetype in (
        "image/svg+xml",
        "application/json",
        "application/manifest+json",
    )
