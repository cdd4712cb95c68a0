"""A desk app's worker journey over HTTP: registration to reintegrated, each step retried until
the platform shows it, as the reliability run's desks drive it (``tests.reliability.driver``)."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from functools import partial

from tests.helpers import worker_payload
from tests.reliability import driver as desk

POLL_SECONDS = 0.05
STEP_TIMEOUT = 60.0
ABORT = threading.Event()  # set when the run is interrupted: every desk client gives up at once


class DeskDriver(desk.Driver):
    """The reliability run's desk driver, polling for eventual statuses every 50 ms."""

    def until(self, what, attempt, done, timeout: float = STEP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ABORT.is_set():
                raise desk.StepFailed("the run was interrupted")
            if done():
                return
            attempt()
            if done():
                return
            time.sleep(POLL_SECONDS)
        raise desk.StepFailed(f"{what} not done after {timeout}s")


NAMES = ("Siti Nur'aini binti Ahmad", "Sri Wahyuni", "Dewi Lestari", "Rina Marlina",
         "Ahmad Fauzi", "Yuliana Dwi Astuti", "Eko Prasetyo", "Nur Hidayah")


def journey(driver: DeskDriver, setup: desk.Setup, index: int) -> str:
    """One worker from registration to reintegrated over HTTP, as the reliability run's desks
    drive it (``tests.reliability.driver``), each step retried until the platform shows it."""
    payload = worker_payload(full_name=NAMES[index % len(NAMES)])
    run = uuid.uuid4().hex[:8]
    found: list[str] = []

    def register():
        response = driver.request("operator", "POST", "/workers", key=f"{run}-register",
                                  json=payload)
        if response is not None and response.status_code in (200, 201):
            found.append(response.json()["id"])
        elif response is not None and response.status_code == 409:
            found.append(desk._find_worker_id(response.json()))
        elif response is not None:
            raise desk.StepFailed(f"registration refused: {response.status_code} "
                                  f"{response.text[:300]}")

    driver.until("registration", register, lambda: bool(found))
    wid = found[0]

    def checklist():
        response = driver.request("verifier", "GET", f"/workers/{wid}/documents")
        return response.json() if response is not None and response.ok else None

    def documents():
        for item in (checklist() or {}).get("items", []):
            if item["status"] == "submitted":
                document = item["document"]["id"]
                driver.request("verifier", "POST", f"/documents/{document}/verify",
                               key=f"{run}-verify-{document}", json={})
            elif item["status"] in ("missing", "rejected", "expired"):
                desk._submit(driver, wid, item["type"], f"{run}-submit-{item['type']}")

    driver.until("documents", documents, lambda: (checklist() or {}).get("complete"))
    driver.until("documents_verified", lambda: None,
                 driver.status_is(wid, "documents_verified"))
    session = setup.sessions[index % len(setup.sessions)]

    def orientation():
        driver.request("trainer", "POST", f"/orientation/sessions/{session}/enrollments",
                       key=f"{run}-enrol", json={"worker_id": wid})
        driver.request("trainer", "POST", f"/orientation/sessions/{session}/attendance",
                       key=f"{run}-attend", json={"worker_id": wid, "nik": payload["nik"]})

    driver.until("orientation", orientation,
                 driver.status_is(wid, "orientation_completed", "cleared_for_departure"))
    today = dt.date.today().isoformat()
    steps = (
        ("operator", "PATCH", "", None, {"bpjs_number": "12345678901"}, "cleared_for_departure"),
        ("operator", "POST", "/departure", "depart", {
            "departed_on": today, "destination_country": "HK", "employer": "Chan Tai Man"},
         "departed"),
        ("operator", "POST", "/return", "return",
         {"returned_on": today, "reason": "contract_ended"}, "returned"),
    )
    for role, method, path, key, body, status in steps:
        step = partial(driver.request, role, method, f"/workers/{wid}{path}",
                       key=key and f"{run}-{key}", json=body)
        driver.until(status, step, driver.status_is(wid, status))
    program = setup.program
    driver.until("reintegration enrolment", lambda: driver.request(
        "trainer", "POST", f"/reintegration/programs/{program}/enrollments",
        key=f"{run}-reenrol", json={"worker_id": wid}),
        driver.status_is(wid, "in_reintegration", "reintegrated"))
    driver.until("reintegration completion", lambda: driver.request(
        "trainer", "POST", f"/reintegration/programs/{program}/completions",
        key=f"{run}-complete", json={"worker_id": wid, "business_started": True,
                                     "business_name": "Warung Bu Siti", "sector": "food",
                                     "regency": "Blitar"}),
        driver.status_is(wid, "reintegrated"))
    return wid
