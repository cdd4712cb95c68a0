"""Loading input with marshmallow into the platform's one validation error."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from .errors import InvalidInput


def _nul_fields(value: Any, path: str = "") -> list[str]:
    """Where a NUL character hides in the input (databases refuse it, so refuse it first)."""
    if isinstance(value, str):
        return [path or "_schema"] if "\x00" in value else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nul_fields(v, f"{path}.{k}" if path else
                                                                   str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nul_fields(v, f"{path}.{i}")]
    return []


def load(schema: Schema, payload: Any) -> dict:
    """Load ``payload`` or raise ``InvalidInput`` naming every field and its reasons."""
    if not isinstance(payload, dict):
        raise InvalidInput("the input must be a JSON object", {"_schema": ["not an object"]})
    nul = _nul_fields(payload)
    if nul:
        raise InvalidInput("the input holds a NUL character",
                           {field: ["must not contain NUL characters"] for field in nul})
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise InvalidInput("the input is not valid", exc.normalized_messages()) from exc
