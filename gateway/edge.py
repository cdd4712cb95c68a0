"""Reading a request at the edge: path ids, query parameters and the JSON body, each checked
against the route before any service is called."""

from __future__ import annotations

import json
import uuid
from typing import Any

from werkzeug.wrappers import Request

from pmi_common.errors import InvalidInput, NotFound
from pmi_common.published import NIK_LIKE

from .problems import Problem
from .routes import Route

JSON_MEDIA_TYPES = ("application/json",)
REQUEST_ID_MAX = 128
READ_CHUNK = 64 * 1024


def request_id(request: Request) -> str:
    """The caller's ``X-Request-ID`` when it is a sane token, else a new one. It travels into
    events as their correlation id, agencies' too: one holding a NIK-like number is replaced."""
    given = (request.headers.get("X-Request-ID") or "").strip()
    if (
        0 < len(given) <= REQUEST_ID_MAX
        and given.isascii()
        and given.isprintable()
        and not NIK_LIKE.search(given)
    ):
        return given
    return str(uuid.uuid4())


def path_values(route: Route, values: dict[str, str]) -> dict[str, str]:
    """Path parameters, with ids in their canonical form; an id that is not a UUID names
    nothing (404)."""
    checked = dict(values)
    for name in route.id_parameters:
        try:
            checked[name] = str(uuid.UUID(values[name]))
        except ValueError as exc:
            noun = name.removesuffix("_id")
            raise NotFound(
                f"{values[name]!r} is not a {noun} id (ids are UUIDs)", {name: values[name]}
            ) from exc
    return checked


def read_query(route: Route, request: Request) -> dict[str, str]:
    """Query parameters as given (the services parse them), once each, as the route declares."""
    if not route.takes_query and not request.query_string:
        return {}  # nothing for ``NoQuery`` to refuse
    args = request.args
    repeated = {name: ["give this parameter once"] for name in args if len(args.getlist(name)) > 1}
    if repeated:
        raise InvalidInput("a query parameter is repeated", repeated)
    query = args.to_dict()
    _refuse_nul(query, "the query")
    _validate(route.query_schema, query, "the query parameters are not valid")
    return query


def read_body(route: Route, request: Request) -> dict:
    """The JSON object a write sends. An empty body reads as ``{}``, so a route whose fields are
    all optional may be called without one."""
    length = request.content_length
    if length is not None and length > route.max_body:
        raise _too_large(route)
    raw = _read_at_most(request.stream, route.max_body)
    if raw is None:
        raise _too_large(route)
    if not raw.strip():
        data: Any = {}
    else:
        if request.mimetype not in JSON_MEDIA_TYPES:
            raise Problem(
                415,
                "unsupported-media-type",
                "Unsupported media type",
                f"send the body as application/json, not {request.mimetype or 'nothing'}",
            )
        data = parse_json(raw)
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", {"_schema": ["must be a JSON object"]})
    _refuse_nul(data, "the body")
    _validate(route.body_schema, data, "the body is not valid")
    return data


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError as exc:
        raise Problem(
            400, "malformed-json", "Malformed JSON", "the body is not UTF-8 text"
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise Problem(
            400, "malformed-json", "Malformed JSON", f"the body is not valid JSON: {exc}"
        ) from exc


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _validate(schema, data: dict, message: str) -> None:
    errors = schema.validate(data)
    if errors:
        raise InvalidInput(message, errors)


def _refuse_nul(value: Any, where: str, path: str = "") -> None:
    """No text the platform stores may hold a NUL character (PostgreSQL refuses it)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInput(
                f"{where} holds a NUL character",
                {path or "_schema": ["must not contain NUL characters"]},
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key, where, path)
            _refuse_nul(item, where, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_nul(item, where, f"{path}.{index}" if path else str(index))


def _read_at_most(stream, limit: int) -> bytes | None:
    """The whole body, or None when it is longer than ``limit`` (a chunked body has no length
    to check beforehand)."""
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(min(READ_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    return None


def _too_large(route: Route) -> Problem:
    return Problem(
        413,
        "payload-too-large",
        "The body is too large",
        f"this endpoint takes at most {route.max_body} bytes",
    )
