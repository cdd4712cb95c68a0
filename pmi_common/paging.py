"""Keyset pagination, one way for every list the platform serves.

A page is ordered by a tuple of columns that ends in a unique one (``(starts_at, id)``); the
cursor is the last row's values of that tuple, as base64url-encoded JSON, opaque to clients. The
next page continues strictly after it, so rows added or removed meanwhile never shift a page.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .errors import InvalidInput

T = TypeVar("T")
_BAD_CURSOR = {"cursor": ["is not a cursor from a previous page of this list"]}


def encode_cursor(values: Sequence[Any]) -> str:
    """The cursor for continuing after a row whose ordering values are ``values``."""
    plain = [
        value.isoformat() if isinstance(value, dt.date | dt.datetime) else value for value in values
    ]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: Sequence[type]) -> tuple:
    """The ordering values a cursor carries, each read as its ``kinds`` entry (``dt.datetime``
    must carry a time zone). A cursor not made by ``encode_cursor`` for the same kinds is
    ``InvalidInput``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        plain = json.loads(raw)
        if not isinstance(plain, list) or len(plain) != len(kinds):
            raise ValueError("wrong shape")
        return tuple(_read(value, kind) for value, kind in zip(plain, kinds, strict=True))
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise InvalidInput("the cursor is not one this list gave", _BAD_CURSOR) from exc


def _read(value: Any, kind: type) -> Any:
    if kind is dt.datetime:
        moment = dt.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("a moment without a time zone")
        return moment
    if kind is dt.date:
        return dt.date.fromisoformat(value)
    if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise ValueError("not a whole number")
    if kind is str and not isinstance(value, str):
        raise ValueError("not text")
    return value


def page(
    rows: Sequence[T], limit: int, key: Callable[[T], Sequence[Any]]
) -> tuple[list[T], str | None]:
    """The first ``limit`` of ``rows`` (fetched as ``limit + 1``) and the cursor for the next
    page, or None when this one is the last."""
    items = list(rows[:limit])
    return items, (encode_cursor(key(items[-1])) if len(rows) > limit else None)
