"""Reading a request at the edge: path ids, query parameters and the JSON body, each checked
against the route before any service is called."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import parse_qsl

from marshmallow import Schema, fields
from werkzeug.wrappers import Request

from pmi_common import nik_like
from pmi_common.errors import InvalidInput, NotFound
from pmi_common.validation import Text

from .problems import Problem
from .routes import FORM, Route

JSON_MEDIA_TYPES = ("application/json",)
READ_CHUNK = 64 * 1024
# a caller's request id: a UUID, or a short token of letters, digits and ``. _ : -``
REQUEST_ID = re.compile(
    r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|[A-Za-z0-9][A-Za-z0-9._:-]{0,63}"
)
NIK_IN_TEXT = (
    "memuat nomor mirip NIK: NIK hanya dicatat di kolomnya sendiri, hapus dari teks "
    "(holds a NIK-like number: a NIK is recorded only in its own field, remove it from the text)"
)


def request_id(request: Request) -> str:
    """The caller's ``X-Request-ID`` when it is a UUID or a short token holding no NIK-like
    number, else a new one. It is the events' correlation id inside the platform (agencies
    get each event's own id instead) and is logged."""
    given = (request.headers.get("X-Request-ID") or "").strip()
    if REQUEST_ID.fullmatch(given) and not nik_like.contains(given):
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
    """Query parameters as given (the services parse them), once each, as the route declares.
    A secret the route lets the caller send as a header instead (``header_query``) is read as
    its parameter: a URL is kept in browser histories and proxies' logs, a header is not."""
    if not route.takes_query and not request.query_string:
        return {}  # nothing for ``NoQuery`` to refuse
    args = request.args
    repeated = {name: ["give this parameter once"] for name in args if len(args.getlist(name)) > 1}
    if repeated:
        raise InvalidInput("a query parameter is repeated", repeated)
    query = args.to_dict()
    for header, name in route.header_query:
        given = request.headers.get(header)
        if given is None:
            continue
        if name in query and query[name] != given:
            raise InvalidInput(
                f"{header} and the {name} parameter differ", {name: [f"differs from {header}"]}
            )
        query[name] = given
    _refuse_nul(query, "the query")
    _validate(
        route.query_schema,
        query,
        getattr(route.query_schema, "invalid", "the query parameters are not valid"),
    )
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
    elif route.body_media_type == FORM:
        data = _form(raw, request)
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
    _refuse_nik_in_text(route.body_schema, data)
    return data


def _form(raw: bytes, request: Request) -> dict[str, str]:
    """A provider's form-encoded webhook: each parameter once (a signature covers them all)."""
    if request.mimetype != FORM:
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"send the body as {FORM}, not {request.mimetype or 'nothing'}",
        )
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput("the form is not valid", {"_schema": [str(exc)[:200]]}) from exc
    data = dict(pairs)
    if len(data) != len(pairs):
        raise InvalidInput("a form field is repeated", {"_schema": ["give each field once"]})
    return data


def _refuse_nik_in_text(schema: Schema, data: dict) -> None:
    """Free text a person types (a reason, a note) holding a NIK-like number is refused: what
    is typed there reaches agencies and logs, and the NIK belongs in its own field only."""
    found = sorted(_nik_in_text(schema, data))
    if found:
        raise Problem(
            422,
            "nik-in-free-text",
            "Teks bebas memuat nomor mirip NIK (free text holds a NIK-like number)",
            f"{', '.join(found)} {NIK_IN_TEXT}",
            errors={path: [NIK_IN_TEXT] for path in found},
        )


def _nik_in_text(schema: Schema, data: Any, path: str = ""):
    """The paths of ``data``'s free-text fields (``Text``) that hold a NIK-like number."""
    if not isinstance(data, dict):
        return
    for name, field in schema.fields.items():
        if name in data:
            yield from _nik_in_field(field, data[name], f"{path}{name}")


def _nik_in_field(field: fields.Field, value: Any, path: str):
    if isinstance(field, Text) and isinstance(value, str) and nik_like.contains(value):
        yield path
    elif isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
        yield from _nik_in_text(field.schema, value, f"{path}.")
    elif isinstance(field, fields.List) and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nik_in_field(field.inner, item, f"{path}.{index}")


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
