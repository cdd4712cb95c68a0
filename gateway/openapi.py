"""The OpenAPI 3 document, generated from the route table and its marshmallow schemas."""

from __future__ import annotations

import functools
from collections import defaultdict

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from . import views
from .idempotency import HEADER as IDEMPOTENCY_HEADER
from .idempotency import MAX_KEY_LENGTH
from .problems import MEDIA_TYPE as PROBLEM
from .routes import PREFIX, ROUTES, Route, readers_of

TITLE = "PMI lifecycle gateway"
VERSION = "1.0.0"
DESCRIPTION = """\
The one door for front ends (the LTSA desk app, a worker's self-service app) to the platform that
follows Indonesian migrant workers (PMI) from registration to departure, return and reintegration.

* Authentication: `Authorization: Bearer <JWT>`, HS256; claims `sub`, `role`, `agency`, `exp`.
  Each operation lists the roles that may call it (`x-roles`); a `worker` reaches only the worker
  whose id is its `sub`. No token or a bad one: 401; a role that may not: 403.
* Errors are `application/problem+json` (RFC 9457) with `type`, `title`, `status`, `detail`,
  and `errors` (field -> reasons) for invalid input. Ids in paths are UUIDs: anything else is 404.
* Writes accept an `Idempotency-Key`: the same key and request get the first answer again for
  24 hours; the same key with another request gets 422.
* Status changes made by other services arrive by event: poll `GET /workers/{worker_id}`.
* `X-Request-ID` (optional) is echoed back and follows the request through every service.
* `nik` and document `number` are masked for the agency and trainer roles."""

PROBLEMS = {
    400: "Malformed JSON, or an invalid Idempotency-Key",
    401: "No token, or an expired, unsigned, wrongly signed or malformed one",
    403: "The caller's role may not do this (or a worker asked about another worker)",
    404: "No such record (an id that is not a UUID names nothing)",
    409: "Refused by the lifecycle's rules (the problem's type names the rule), or a request "
    "with the same Idempotency-Key is still in progress",
    413: "The body is larger than this endpoint takes",
    414: "The path and query are longer than the gateway reads (8 KiB)",
    415: "The body is not application/json",
    422: "Invalid input: `errors` names each field and its reasons (`nik-in-free-text`: a "
    "NIK-like number in free text); or an Idempotency-Key reused for a different request",
    429: "Too many requests from this address or caller (see Retry-After)",
    502: "A service failed to answer",
    503: "A service is not running (see Retry-After)",
    504: "A service did not answer in time (see Retry-After)",
}


@functools.cache
def document() -> dict:
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": DESCRIPTION},
        servers=[{"url": PREFIX}],
    )
    spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    spec.components.schema("Problem", schema=views.Problem)
    for status, description in PROBLEMS.items():
        spec.components.response(
            f"Problem{status}",
            {"description": description, "content": {PROBLEM: {"schema": "Problem"}}},
        )
    paths: dict[str, dict] = defaultdict(dict)
    for route in ROUTES:
        paths[route.path][route.method.lower()] = operation(route)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def operation(route: Route) -> dict:
    roles = sorted(route.roles) or ["public"]
    who = "Public: no token needed." if route.public else f"Roles: {', '.join(roles)}."
    if "worker" in route.roles:
        who += " A worker only for their own worker_id."
    spec: dict = {
        "operationId": route.name,
        "summary": route.summary,
        "description": who,
        "tags": [route.tag],
        "x-roles": roles,
        "security": [] if route.public else [{"bearer": []}],
        "parameters": _parameters(route),
        "responses": {str(route.status): _success(route), **_problems(route)},
    }
    for status in route.answers:
        spec["responses"][str(status)] = _success(route)
    if route.body is not None:
        spec["requestBody"] = {
            "required": any(field.required for field in route.body().fields.values()),
            "content": {route.body_media_type: {"schema": route.body}},
            "description": f"at most {route.max_body} bytes",
        }
    return spec


def _parameters(route: Route) -> list[dict]:
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "format": "uuid"}
            if name in route.id_parameters
            else {"type": "string", "minLength": 1},
        }
        for name in route.parameters
    ]
    if route.takes_query:
        parameters.append({"in": "query", "schema": route.query})
    for header, name in route.header_query:
        parameters.append(
            {
                "name": header,
                "in": "header",
                "required": False,
                "description": f"the `{name}` parameter, kept out of the URL",
                "schema": {"type": "string", "minLength": 1, "maxLength": 64},
            }
        )
    if route.writes:
        parameters.append(
            {
                "name": IDEMPOTENCY_HEADER,
                "in": "header",
                "required": False,
                "description": "the same key and request within 24 hours get the first answer",
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_KEY_LENGTH,
                    "pattern": "^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$",
                },
            }
        )
    return parameters


def _success(route: Route) -> dict:
    if route.media_type != "application/json":
        schema = {"type": "string"}
        if not route.media_type.startswith("text/"):
            schema["format"] = "binary"  # a scan, a spreadsheet: bytes, not text
        return {"description": route.summary, "content": {route.media_type: {"schema": schema}}}
    answer = {
        "description": route.summary,
        "content": {"application/json": {"schema": route.response}},
    }
    if route.creates:
        answer["headers"] = {
            "Location": {"description": "where the new record lives", "schema": {"type": "string"}}
        }
        answer["links"] = {
            reader.name: {
                "operationId": reader.name,
                "parameters": {route.creates: "$response.body#/id"},
            }
            for reader in readers_of(route.creates)
            if set(reader.parameters) == {route.creates}
        }
    return answer


def _problems(route: Route) -> dict:
    statuses = {414, 422, *route.refuses}
    if not route.public:
        statuses |= {401, 403}
    if route.parameters:
        statuses.add(404)
    if route.body is not None:
        statuses |= {400, 413, 415}
    if route.writes:
        statuses |= {400, 409, 404}
    if route.public or route.writes:  # gateway.ratelimits
        statuses.add(429)
    if route.calls:
        statuses |= {502, 503, 504}
    return {
        str(status): {"$ref": f"#/components/responses/Problem{status}"}
        for status in sorted(statuses - {route.status, *route.answers})
    }
