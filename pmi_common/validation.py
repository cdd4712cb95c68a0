"""Loading input with marshmallow into the platform's one validation error."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from .errors import InvalidInput


def load(schema: Schema, payload: Any) -> dict:
    """Load ``payload`` or raise ``InvalidInput`` naming every field and its reasons."""
    if not isinstance(payload, dict):
        raise InvalidInput("the input must be a JSON object", {"_schema": ["not an object"]})
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise InvalidInput("the input is not valid", exc.normalized_messages()) from exc
