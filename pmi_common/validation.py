"""Loading input with marshmallow into the platform's one validation error."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from .errors import InvalidInput


def _nul_fields(value: Any, path: str = "") -> list[str]:
    """Where a NUL character hides in the input (databases refuse it, so refuse it first)."""
    if isinstance(value, str):
        return [path or "_schema"] if "\x00" in value else []
    if isinstance(value, dict):
        return [
            p for k, v in value.items() for p in _nul_fields(v, f"{path}.{k}" if path else str(k))
        ]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nul_fields(v, f"{path}.{i}")]
    return []


def load(schema: Schema, payload: Any) -> dict:
    """Load ``payload`` or raise ``InvalidInput`` naming every field and its reasons."""
    if not isinstance(payload, dict):
        raise InvalidInput("the input must be a JSON object", {"_schema": ["not an object"]})
    nul = _nul_fields(payload)
    if nul:
        raise InvalidInput(
            "the input holds a NUL character",
            {field: ["must not contain NUL characters"] for field in nul},
        )
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise InvalidInput("the input is not valid", exc.normalized_messages()) from exc


# Characters no name, place or note of this domain needs, and which markup and templates do:
# refused at the edge (queries are parameterised and answers are JSON anyway). Ordinary
# punctuation passes: "Jl. Mawar 3; RT 03/RW 05, (belakang masjid) #2".
UNSAFE_TEXT = re.compile(r"[<>{}`\\=|$*]|--|/\*")
# Unicode's control (Cc), format (Cf: right-to-left override, zero-width space and joiners, BOM),
# surrogate (Cs), private-use (Co) and unassigned (Cn) characters: invisible or meaningless in a
# record, and a way to make two values look alike. Tab, line feed and carriage return are kept.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
KEPT_CONTROLS = frozenset("\t\n\r")


def plain_text(value: str) -> str:
    """``value`` in Unicode normal form C (one encoding per visible character), or
    ``ValidationError`` when it holds an invisible or formatting character."""
    value = unicodedata.normalize("NFC", value)
    hidden = sorted(
        {
            f"U+{ord(ch):04X}"
            for ch in value
            if ch not in KEPT_CONTROLS and unicodedata.category(ch) in INVISIBLE_CATEGORIES
        }
    )
    if hidden:
        raise ValidationError(
            "must not contain invisible, formatting or control characters "
            f"({', '.join(hidden[:5])})"
        )
    return value


def safe_text(value: str) -> str:
    plain_text(value)
    if UNSAFE_TEXT.search(value):
        raise ValidationError("must not contain markup or code (< > { } ` \\ = | $ * -- /*)")
    if not value.strip():
        raise ValidationError("must not be blank")
    return value


class Text(fields.String):
    """A string, normalised to NFC, without invisible or formatting characters."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return plain_text(text)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc


def person_name(value: str) -> str:
    """Letters of any script with their marks, spaces, apostrophes, hyphens, dots and commas."""
    allowed = all(
        ch.isalpha() or unicodedata.category(ch).startswith("M") or ch in " '’.,-" for ch in value
    )
    if not allowed or not value[:1].isalpha():
        raise ValidationError("must be a name: letters, spaces, apostrophes, hyphens, dots")
    return value


def not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank")


def text_field(max_length: int, **kwargs) -> fields.String:
    """A text field of 1 to ``max_length`` characters that is not only spaces."""
    kwargs.setdefault("validate", [validate.Length(min=1, max=max_length), not_blank])
    return Text(**kwargs)
