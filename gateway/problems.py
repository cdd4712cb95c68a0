"""Every error the gateway answers, as ``application/problem+json`` (RFC 9457), mapped in one place.

``problem_for`` is the one map from an error (the edge's own, a service's domain error, a service
that does not answer, an unexpected failure) to the HTTP problem a client sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import eventlet
from nameko.exceptions import ContainerBeingKilled, RemoteError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.wrappers import Response

from pmi_common.errors import PlatformError
from pmi_common.rpc import ServiceUnavailable

from . import encoding
from .auth import Unauthenticated

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:pmi:problem:"

# The status and title of each kind of the platform's named errors (pmi_common.errors).
KINDS = {
    "invalid_input": (422, "The input is not valid"),
    "not_found": (404, "Not found"),
    "conflict": (409, "Refused by the lifecycle's rules"),
    "forbidden": (403, "Not allowed"),
    "too_many_requests": (429, "Too many requests"),
}


@dataclass
class Problem(Exception):
    status: int
    slug: str
    title: str
    detail: str
    errors: dict | None = None  # field -> reasons
    details: dict | None = None  # what a service said beyond the message
    headers: dict = field(default_factory=dict)

    def body(self, instance: str, correlation_id: str) -> dict:
        body = {
            "type": TYPE_PREFIX + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
            "correlation_id": correlation_id,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        if self.details:
            body["details"] = self.details
        return body


def problem_for(exc: BaseException) -> Problem:
    """The one map from errors to HTTP problems."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, Unauthenticated):
        return Problem(
            401,
            "unauthenticated",
            "Authentication needed",
            str(exc),
            headers={"WWW-Authenticate": 'Bearer realm="pmi"'},
        )
    if isinstance(exc, PlatformError):
        return _domain(exc)
    if isinstance(exc, ServiceUnavailable):
        return _unavailable(exc)
    if isinstance(exc, RemoteError):
        return Problem(
            502,
            "service-failed",
            "A service failed",
            "a service failed to answer this request; it has been logged",
        )
    if isinstance(exc, RequestEntityTooLarge):
        return Problem(413, "payload-too-large", "The body is too large", exc.description or "")
    if isinstance(exc, MethodNotAllowed):
        allowed = ", ".join(sorted(exc.valid_methods or ()))
        return Problem(
            405,
            "method-not-allowed",
            "Method not allowed",
            f"this path answers {allowed}",
            headers={"Allow": allowed},
        )
    if isinstance(exc, HTTPException) and exc.code and exc.code < 500:
        return Problem(exc.code, _slug(exc.name), exc.name, _plain(exc.description))
    if isinstance(exc, OperationalError | ContainerBeingKilled):
        return Problem(
            503,
            "gateway-unavailable",
            "The gateway cannot serve this now",
            "the gateway is stopping or its database is unavailable; retry",
            headers={"Retry-After": "5"},
        )
    return Problem(
        500,
        "internal-error",
        "Internal error",
        "the gateway failed to answer this request; it has been logged",
    )


def _domain(exc: PlatformError) -> Problem:
    status, title = KINDS.get(exc.kind, (500, "Internal error"))
    slug = _slug(type(exc).__name__) if exc.kind == "conflict" else exc.kind.replace("_", "-")
    if exc.kind == "invalid_input":
        return Problem(status, slug, title, exc.message, errors=exc.details or {})
    headers = (
        {"Retry-After": str(exc.details["retry_after"])}
        if exc.kind == "too_many_requests" and "retry_after" in exc.details
        else {}
    )
    return Problem(status, slug, title, exc.message, details=exc.details or None, headers=headers)


def _unavailable(exc: ServiceUnavailable) -> Problem:
    headers = {"Retry-After": str(exc.retry_after)}
    if isinstance(exc.__cause__, eventlet.Timeout):
        return Problem(
            504,
            "service-timeout",
            "A service did not answer in time",
            f"the {exc.service} service {exc.reason}; retry later",
            headers=headers,
        )
    return Problem(
        503,
        "service-unavailable",
        "A service is unavailable",
        f"the {exc.service} service {exc.reason}; retry later",
        headers=headers,
    )


def problem_response(problem: Problem, instance: str, correlation_id: str) -> Response:
    return Response(
        encoding.dumps(problem.body(instance, correlation_id)),
        status=problem.status,
        headers=problem.headers,
        mimetype=MEDIA_TYPE,
    )


def _slug(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name.replace(" ", "")).lower()


def _plain(description: str | None) -> str:
    return re.sub(r"<[^>]+>", "", description or "").strip()
