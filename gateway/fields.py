"""Strict JSON fields for the edge: a body's JSON types are the contract, so ``"3"`` is not an
integer and ``1`` is not a boolean (marshmallow's defaults would accept both)."""

from __future__ import annotations

import numbers

from marshmallow import fields, validate

from pmi_common.validation import Text, person_name, safe_text


class StrictInteger(fields.Integer):
    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictNumber(fields.Float):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    truthy = {True}
    falsy = {False}


def text(max_length: int, name: bool = False, **kwargs) -> fields.String:
    """A free-text field of 1 to ``max_length`` characters in NFC, without markup, invisible or
    control characters; ``name=True`` for a person's name."""
    rules = [validate.Length(min=1, max=max_length), safe_text]
    if name:
        rules.append(person_name)
    return Text(validate=rules, **kwargs)
