"""The JSON the gateway answers with, encoded by ``orjson``.

The bytes are what ``json.dumps(body, ensure_ascii=False, separators=(",", ":"))`` wrote before,
with two differences a JSON reader does not see: a float with an exponent is written ``1e+16``
by both but a small one ``0.00001`` rather than ``1e-05``, and NaN (never answered) would be
``null``. Dates and moments are written by ``orjson`` in ISO 8601, as ``isoformat()`` writes them
(``2026-11-30T02:41:29.123456+00:00``; an offset with seconds, which only a pre-1900 local mean
time has, loses them): registry reads (``registry``) hand their rows' dates over as they are and
the encoder formats them, many times cheaper than ``isoformat()`` in Python. Anything else
``orjson`` does not know is written as ``str()`` of it, as before; an integer beyond 64 bits (that
``orjson`` refuses) falls back to the standard library's encoder.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import orjson

# dataclasses as before (their str()); dict keys that are not strings as json writes them
OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(body: Any) -> bytes:
    """``body`` as compact UTF-8 JSON."""
    try:
        return orjson.dumps(body, default=str, option=OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits, a cycle, ...
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_plain).encode()


def _plain(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date | dt.time) else str(value)
