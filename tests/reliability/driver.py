"""Drives workers through the whole lifecycle through the gateway, retrying each step until the
platform's own state says it is done: the way a desk app must behave when a request fails."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import time
import uuid
from dataclasses import dataclass, field

import requests

from gateway.auth import mint
from gateway.testing import loopback_session
from pmi_common.contract import DOCUMENT_TYPES
from tests.helpers import district_today, worker_payload

EXPIRING = {"passport", "work_visa", "health_certificate"}
INTAKE = "intake"  # submits documents; the verifier decides (never on their own submission)
STEP_TIMEOUT = 240.0


class StepFailed(AssertionError):
    pass


@dataclass
class DriverStats:
    requests: int = 0
    retried: int = 0
    failures: dict = field(default_factory=dict)


class Driver:
    def __init__(self, base_url: str | list[str], secret: str):
        urls = [base_url] if isinstance(base_url, str) else base_url
        self._urls = itertools.cycle(urls)
        self.secret = secret
        self.stats = DriverStats()
        self.sessions: dict[str, requests.Session] = {}
        self._key_generation: dict[str, int] = {}

    def client(self, role: str) -> requests.Session:
        """A desk's session; ``intake`` is the document desk's clerk who submits (a verifier
        other than the one who decides)."""
        if role not in self.sessions:
            token = mint(
                self.secret,
                "verifier" if role == INTAKE else role,
                f"{role}-driver",
                agency="ltsa-blitar",
                ttl=dt.timedelta(hours=8),
            )
            session = loopback_session()
            session.headers["Authorization"] = f"Bearer {token}"
            self.sessions[role] = session
        return self.sessions[role]

    def request(self, role: str, method: str, path: str, key: str | None = None, **kwargs):
        """One HTTP call; None when the platform could not answer (retry later).

        A write is retried under the same ``Idempotency-Key`` while its outcome is unknown (no
        answer, 5xx), so it applies at most once; after a definite refusal (4xx) the next try is
        a new request with a new key, since the refusal is what the key would replay."""
        generation = self._key_generation.get(key, 0) if key else 0
        headers = {"Idempotency-Key": f"{key}-{generation}"} if key else {}
        self.stats.requests += 1
        try:
            response = self.client(role).request(
                method, f"{next(self._urls)}/api/v1{path}", headers=headers, timeout=15, **kwargs
            )
        except requests.RequestException as exc:
            self._failed(type(exc).__name__)
            return None
        if response.status_code >= 500 or response.status_code == 429:
            self._failed(str(response.status_code))
            return None
        if response.status_code == 409 and _in_progress(response):
            # the first request under this key is still being answered: same key, later
            self._failed("409 in progress")
            return None
        if response.status_code in (400, 401, 403, 413, 422):  # retrying cannot help: stop
            raise StepFailed(f"{method} {path}: {response.status_code} {response.text[:500]}")
        if key and 400 <= response.status_code < 500:
            self._key_generation[key] = generation + 1
        return response

    def _failed(self, kind: str) -> None:
        self.stats.retried += 1
        self.stats.failures[kind] = self.stats.failures.get(kind, 0) + 1

    def until(self, what: str, attempt, done, timeout: float = STEP_TIMEOUT) -> None:
        """Call ``attempt`` until ``done()`` is true."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done():
                return
            attempt()
            if done():
                return
            time.sleep(0.3)
        raise StepFailed(f"{what} not done after {timeout}s")

    def worker(self, worker_id: str) -> dict | None:
        response = self.request("admin", "GET", f"/workers/{worker_id}")
        return response.json() if response is not None and response.ok else None

    def status_is(self, worker_id: str, *statuses: str):
        return lambda: (self.worker(worker_id) or {}).get("status") in statuses


@dataclass
class Setup:
    sessions: list[str]
    program: str


def prepare(driver: Driver, workers: int) -> Setup:
    sessions = []
    # check-in opens two hours before a session starts
    starts_at = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=90)).replace(microsecond=0)
    for index in range(workers // 400 + 1):
        response = None
        while response is None or not response.ok:
            response = driver.request(
                "trainer",
                "POST",
                "/orientation/sessions",
                key=f"setup-session-{index}-{starts_at}",
                json={
                    "starts_at": starts_at.isoformat(),
                    "location": f"LTSA PMI Blitar room {index}",
                    "capacity": 400,
                    "topics": ["safe migration"],
                },
            )
        sessions.append(response.json()["id"])
    response = None
    while response is None or not response.ok:
        response = driver.request(
            "trainer",
            "POST",
            "/reintegration/programs",
            key=f"setup-program-{starts_at}",
            json={
                "name": "PAK CAMAT PMI",
                "audience": "both",
                "capacity": max(workers, 1),
                "starts_on": district_today().isoformat(),
                "rounds": [{"name": "pitch", "advance": 1}],
            },
        )
    return Setup(sessions=sessions, program=response.json()["id"])


def journey(driver: Driver, setup: Setup, index: int) -> str:
    """One worker from registration to reintegrated; returns the worker id."""
    payload = worker_payload(full_name=f"Pekerja {_letters(index)}")
    run = uuid.uuid4().hex[:8]
    worker_id: list[str] = []

    def register():
        response = driver.request(
            "operator", "POST", "/workers", key=f"{run}-register", json=payload
        )
        if response is not None and response.status_code in (200, 201):
            worker_id.append(response.json()["id"])
        elif response is not None and response.status_code == 409:
            worker_id.append(_find_worker_id(response.json()))

    driver.until("registration", register, lambda: bool(worker_id))
    wid = worker_id[0]

    def documents():
        response = driver.request("verifier", "GET", f"/workers/{wid}/documents")
        if response is None or not response.ok:
            return
        for item in response.json()["items"]:
            document = item.get("document")
            if item["status"] == "submitted":
                driver.request(
                    "verifier",
                    "POST",
                    f"/documents/{document['id']}/verify",
                    key=f"{run}-verify-{document['id']}",
                    json={},
                )
            elif item["status"] in ("missing", "rejected", "expired"):
                _submit(driver, wid, item["type"], f"{run}-submit-{item['type']}")

    def documents_done():
        response = driver.request("verifier", "GET", f"/workers/{wid}/documents")
        return response is not None and response.ok and response.json()["complete"]

    driver.until("documents", documents, documents_done)
    driver.until("documents_verified", lambda: None, driver.status_is(wid, "documents_verified"))

    session = setup.sessions[index % len(setup.sessions)]

    def orientation():
        driver.request(
            "trainer",
            "POST",
            f"/orientation/sessions/{session}/enrollments",
            key=f"{run}-enrol",
            json={"worker_id": wid},
        )
        driver.request(
            "trainer",
            "POST",
            f"/orientation/sessions/{session}/attendance",
            key=f"{run}-attend",
            json={"worker_id": wid, "nik": payload["nik"]},
        )

    driver.until(
        "orientation",
        orientation,
        driver.status_is(wid, "orientation_completed", "cleared_for_departure"),
    )

    driver.until(
        "bpjs",
        lambda: driver.request(
            "operator", "PATCH", f"/workers/{wid}", json={"bpjs_number": "12345678901"}
        ),
        driver.status_is(wid, "cleared_for_departure"),
    )
    today = district_today().isoformat()
    driver.until(
        "departure",
        lambda: driver.request(
            "operator",
            "POST",
            f"/workers/{wid}/departure",
            key=f"{run}-depart",
            json={"departed_on": today, "destination_country": "HK", "employer": "Chan Tai Man"},
        ),
        driver.status_is(wid, "departed"),
    )
    driver.until(
        "return",
        lambda: driver.request(
            "operator",
            "POST",
            f"/workers/{wid}/return",
            key=f"{run}-return",
            json={"returned_on": today, "reason": "contract_ended"},
        ),
        driver.status_is(wid, "returned"),
    )
    program = setup.program
    driver.until(
        "reintegration enrolment",
        lambda: driver.request(
            "trainer",
            "POST",
            f"/reintegration/programs/{program}/enrollments",
            key=f"{run}-reenrol",
            json={"worker_id": wid},
        ),
        driver.status_is(wid, "in_reintegration", "reintegrated"),
    )
    driver.until(
        "reintegration completion",
        lambda: driver.request(
            "trainer",
            "POST",
            f"/reintegration/programs/{program}/completions",
            key=f"{run}-complete",
            json={
                "worker_id": wid,
                "business_started": True,
                "business_name": f"Warung {index}",
                "sector": "food",
                "regency": "Blitar",
            },
        ),
        driver.status_is(wid, "reintegrated"),
    )
    return wid


def _letters(number: int) -> str:
    """A name part for a number: 0 -> "A", 27 -> "BB"; names have no digits."""
    letters = ""
    while True:
        number, digit = divmod(number, 26)
        letters = chr(ord("A") + digit) + letters
        if number == 0:
            return letters.capitalize()


def _submit(driver: Driver, worker_id: str, kind: str, key: str) -> None:
    today = district_today()
    body = {
        "type": kind,
        "number": f"{kind[:3].upper()}{abs(hash(key)) % 10**7:07d}",
        "issued_on": (today - dt.timedelta(days=30)).isoformat(),
        "file": {"content_base64": _scan(worker_id)},
    }
    if kind in EXPIRING:
        body["expires_on"] = (today + dt.timedelta(days=700)).isoformat()
    driver.request(INTAKE, "POST", f"/workers/{worker_id}/documents", key=key, json=body)


def _scan(worker_id: str) -> str:
    """The worker's papers, scanned: one file per worker (a scan seen for another worker is
    refused)."""
    return base64.b64encode(f"%PDF-1.7\n% papers of {worker_id}\n".encode()).decode()


def _in_progress(response) -> bool:
    try:
        return response.json().get("type", "").endswith(":idempotency-key-in-progress")
    except ValueError:
        return False


def _find_worker_id(problem: dict) -> str:
    """The existing worker named by a duplicate-registration problem."""
    stack = [problem]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("worker_id"), str):
                return item["worker_id"]
            stack.extend(item.values())
    raise StepFailed(f"a duplicate registration that names no worker: {problem}")


assert len(DOCUMENT_TYPES) == 8
