"""The gateway's JSON (``gateway.encoding``): the bytes the standard library wrote before, dates
and moments in ISO 8601 as ``isoformat()`` writes them (registry reads hand them over as they
are), and what orjson refuses written all the same."""

import datetime as dt
import json
import uuid
from dataclasses import dataclass

import pytest

from gateway.encoding import dumps


def before(body) -> bytes:
    """How the gateway encoded an answer before, its dates already ISO text."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()


MOMENTS = [
    dt.datetime(2026, 11, 30, 2, 41, 29, micro, tzinfo=zone)
    for micro in (0, 1, 120000, 999999)
    for zone in (
        dt.UTC,
        dt.timezone(dt.timedelta(hours=7)),
        dt.timezone(dt.timedelta(hours=-9, minutes=-30)),
        None,
    )
]


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_moments_and_dates_are_written_as_isoformat_writes_them(moment):
    record = {"registered_at": moment, "birth_date": moment.date(), "nested": [moment]}
    as_text = {
        "registered_at": moment.isoformat(),
        "birth_date": moment.date().isoformat(),
        "nested": [moment.isoformat()],
    }
    assert dumps(record) == before(as_text)


def test_an_answer_is_the_same_bytes_as_before():
    body = {
        "items": [
            {
                "id": str(uuid.uuid4()),
                "full_name": "Siti Aminah — Blitar",
                "address": {"regency": "Blitar", "postal_code": "66111"},
                "cycle": 2,
                "documents_complete": True,
                "bpjs_number": None,
                "ratio": 0.25,
                "tags": ("a", "b"),
            }
        ],
        "next_cursor": None,
    }
    assert dumps(body) == before(body)


@dataclass
class Thing:
    name: str


def test_what_orjson_does_not_take_is_written_as_before():
    body = {
        1: uuid.UUID(int=7),
        "thing": Thing("x"),
        "set": frozenset(),
        "big": 2**70,
        "when": dt.date(2026, 1, 2),
    }
    assert json.loads(dumps(body)) == {
        "1": str(uuid.UUID(int=7)),
        "thing": "Thing(name='x')",
        "set": "frozenset()",
        "big": 2**70,
        "when": "2026-01-02",
    }
    assert dumps({"thing": Thing("x")}) == before({"thing": Thing("x")})
