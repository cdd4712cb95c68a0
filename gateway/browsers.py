"""What browsers get: CORS for the origins configuration allows, and security headers on every
answer.

A desk app or a worker's app served from another origin may call the gateway only from an origin
listed in ``CORS_ALLOWED_ORIGINS`` (comma-separated ``scheme://host[:port]``; none by default).
Tokens travel in the ``Authorization`` header, never in cookies, so the gateway never sends
``Access-Control-Allow-Credentials``: a browser's credentialed (cookie) request is refused by the
browser itself, and an app sends its bearer token as a header, which a preflight allows.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

ALLOWED_REQUEST_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID")
EXPOSED_HEADERS = (
    "Location",
    "Retry-After",
    "X-Request-ID",
    "Idempotent-Replayed",
    "WWW-Authenticate",
)
PREFLIGHT_MAX_AGE = 600  # seconds a browser may keep a preflight's answer

# On every answer: JSON only, never framed, never cached, no referrer leaks, HTTPS only.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def parse_origins(text: str | None) -> frozenset[str]:
    """``CORS_ALLOWED_ORIGINS``; a clear ``ValueError`` for anything that is not an origin."""
    origins = set()
    for origin in filter(None, (part.strip() for part in (text or "").split(","))):
        parts = urlsplit(origin)
        if (
            origin == "*"
            or parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.path
            or parts.query
            or parts.fragment
        ):
            raise ValueError(
                f"CORS_ALLOWED_ORIGINS lists origins (https://desk.example.go.id), not {origin!r}"
            )
        origins.add(origin.lower())
    return frozenset(origins)


class Browsers:
    def __init__(self, allowed_origins: Iterable[str] = ()):
        self.allowed_origins = frozenset(allowed_origins)

    def allows(self, origin: str | None) -> bool:
        return bool(origin) and origin.lower() in self.allowed_origins

    def is_preflight(self, request: Request) -> bool:
        return (
            request.method == "OPTIONS"
            and "Origin" in request.headers
            and "Access-Control-Request-Method" in request.headers
        )

    def preflight(self, request: Request, methods: Iterable[str]) -> Response | None:
        """The answer to a CORS preflight, or None when the origin or the method is not allowed
        (the caller answers with a problem)."""
        origin = request.headers["Origin"]
        wanted = request.headers["Access-Control-Request-Method"].upper()
        allowed = sorted(set(methods) - {"OPTIONS"})
        if not self.allows(origin) or wanted not in allowed:
            return None
        return Response(
            status=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ", ".join(allowed),
                "Access-Control-Allow-Headers": ", ".join(ALLOWED_REQUEST_HEADERS),
                "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE),
                "Vary": "Origin",
            },
        )

    def headers(self, origin: str | None) -> list[tuple[str, str]]:
        """Added to every answer: the security headers, and CORS for an allowed origin."""
        added = list(SECURITY_HEADERS)
        if self.allowed_origins:
            added.append(("Vary", "Origin"))
        if self.allows(origin):
            added += [
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Expose-Headers", ", ".join(EXPOSED_HEADERS)),
            ]
        return added
