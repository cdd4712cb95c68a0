"""A worker's whole journey through the gateway, step by step, as the desks would drive it."""

from __future__ import annotations

import base64
import datetime as dt
import time

import requests

from pmi_common.contract import DOCUMENT_TYPES
from tests.helpers import WAIT_CEILING, district_today, worker_payload

EXPIRING = {"passport", "work_visa", "health_certificate"}


class Journey:
    def __init__(self, stack):
        self.stack = stack
        self.operator = stack.client("operator")
        self.verifier = stack.client("verifier")
        self.intake = stack.client("verifier", sub="desk-intake")  # submits; another decides
        self.trainer = stack.client("trainer")
        self.reader = stack.client("trainer")  # reads status and timeline (agencies: by agreement)
        self.payload = worker_payload()
        self.worker_id: str | None = None

    def scan(self) -> str:
        """The worker's papers, scanned (base64): one file per worker."""
        return base64.b64encode(f"%PDF-1.7\n% papers of {self.worker_id}\n".encode()).decode()

    def call(self, client: requests.Session, method: str, path: str, expect: int = 200, **kw):
        response = client.request(method, self.stack.url(path), timeout=30, **kw)
        assert response.status_code == expect, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else None

    def status(self) -> str:
        return self.call(self.reader, "GET", f"/workers/{self.worker_id}")["status"]

    def wait_status(self, status: str, timeout: float = WAIT_CEILING) -> None:
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            seen = self.status()
            if seen == status:
                return
            time.sleep(0.1)
        raise AssertionError(f"worker stayed {seen}, expected {status}")

    def register(self) -> dict:
        worker = self.call(self.operator, "POST", "/workers", 201, json=self.payload)
        self.worker_id = worker["id"]
        return worker

    def wait_known_to_documents(self, timeout: float = WAIT_CEILING) -> None:
        """The documents service learns of a worker from ``worker_registered``: eventually."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self.verifier.get(
                self.stack.url(f"/workers/{self.worker_id}/documents"), timeout=30
            )
            if response.status_code == 200:
                return
            time.sleep(0.05)
        raise AssertionError("the documents service never learned of the worker")

    def submit_and_verify_documents(self) -> None:
        self.wait_known_to_documents()
        today = district_today()
        scan = self.scan()
        for number, kind in enumerate(DOCUMENT_TYPES, start=1):
            body = {
                "type": kind,
                "number": f"DOC{number:06d}",
                "issued_on": (today - dt.timedelta(days=30)).isoformat(),
                "file": {"content_base64": scan},
            }
            if kind in EXPIRING:
                body["expires_on"] = (today + dt.timedelta(days=700)).isoformat()
            document = self.call(
                self.intake, "POST", f"/workers/{self.worker_id}/documents", 201, json=body
            )
            self.call(self.verifier, "POST", f"/documents/{document['id']}/verify", json={})

    def schedule_session(self, location: str = "LTSA PMI Blitar", capacity: int = 30) -> dict:
        """A session in an hour: enrolment still open, and the check-in at the door already (it
        opens two hours before a session starts)."""
        starts_at = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).replace(microsecond=0)
        return self.call(
            self.trainer,
            "POST",
            "/orientation/sessions",
            201,
            json={
                "starts_at": starts_at.isoformat(),
                "location": location,
                "capacity": capacity,
                "topics": ["rights and obligations", "safe migration"],
            },
        )

    def attend_orientation(self) -> dict:
        session = self.schedule_session()
        self.call(
            self.trainer,
            "POST",
            f"/orientation/sessions/{session['id']}/enrollments",
            201,
            json={"worker_id": self.worker_id},
        )
        return self.call(
            self.trainer,
            "POST",
            f"/orientation/sessions/{session['id']}/attendance",
            200,
            json={"worker_id": self.worker_id, "nik": self.payload["nik"]},
        )

    def add_bpjs(self) -> None:
        self.call(
            self.operator,
            "PATCH",
            f"/workers/{self.worker_id}",
            json={"bpjs_number": "12345678901"},
        )

    def depart(self) -> None:
        self.call(
            self.operator,
            "POST",
            f"/workers/{self.worker_id}/departure",
            json={
                "departed_on": district_today().isoformat(),
                "destination_country": "HK",
                "employer": "Chan Tai Man",
            },
        )

    def come_home(self) -> None:
        self.call(
            self.operator,
            "POST",
            f"/workers/{self.worker_id}/return",
            json={"returned_on": district_today().isoformat(), "reason": "contract_ended"},
        )

    def reintegrate(self) -> None:
        program = self.call(
            self.trainer,
            "POST",
            "/reintegration/programs",
            201,
            json={
                "name": "PAK CAMAT PMI",
                "audience": "both",
                "capacity": 100,
                "starts_on": district_today().isoformat(),
                "rounds": [
                    {"name": "business model canvas", "advance": 75},
                    {"name": "business plan", "advance": 50},
                    {"name": "pitch", "advance": 3},
                ],
            },
        )
        self.call(
            self.trainer,
            "POST",
            f"/reintegration/programs/{program['id']}/enrollments",
            201,
            json={"worker_id": self.worker_id},
        )
        self.wait_status("in_reintegration")
        self.call(
            self.trainer,
            "POST",
            f"/reintegration/programs/{program['id']}/completions",
            200,
            json={
                "worker_id": self.worker_id,
                "business_started": True,
                "business_name": "Warung Bu Siti",
                "sector": "food",
                "regency": "Blitar",
            },
        )
