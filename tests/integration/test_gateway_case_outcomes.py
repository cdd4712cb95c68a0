"""A protection case that moves the worker's record, through the gateway on the real broker and
databases: a mother reports that her daughter abroad has lost contact, the caseworker takes the
case and resolves it as a repatriation; registration records the return (reason repatriated)
from the case's event, and the worker's timeline shows the case's steps without its summary. A
case about someone not registered yet is linked to the worker once she is on the record. The
console's cases page counts and lists open cases without their text."""

from __future__ import annotations

import base64
import json

import pytest

from gateway.testing import start_stack
from pmi_common import contract as c
from tests.helpers import district_today, wait_for, worker_payload
from tests.integration.test_gateway_protection import MOTHER, SUMMARY, filing

CASE_STEPS = [
    c.CASE_OPENED,
    c.CASE_ASSIGNED,
    c.CASE_STATUS_CHANGED,  # assessed
    c.CASE_STATUS_CHANGED,  # resolved
    c.CASE_RESOLVED,
    c.CASE_OUTCOME_RECORDED,
]


@pytest.fixture
def api(container_factory, config_for):
    return start_stack(container_factory, config_for, services=(c.REGISTRATION, c.PROTECTION))


def abroad(desk, **changes) -> dict:
    """A worker abroad, recorded as having left outside the procedure."""
    payload = worker_payload(destination_country="HK", **changes)
    del payload["placement_agency"]
    recorded = desk.post("/non-procedural-workers", json={**payload, "source": "family"})
    assert recorded.status_code == 201, recorded.text
    return recorded.json()


def timeline_of(desk, worker_id: str) -> list[dict]:
    return desk.get(f"/workers/{worker_id}/timeline").json()


def test_a_lost_contact_resolved_as_repatriation_brings_the_worker_home_on_the_record(api):
    desk, siti = api.as_role("operator", "desk-1"), api.as_role("caseworker", "siti")
    worker = abroad(desk)
    path = f"/workers/{worker['id']}"
    mother = desk.post(f"{path}/family", json=MOTHER).json()

    case = desk.post("/cases", json=filing(worker["id"], mother["id"])).json()
    case_path = f"/cases/{case['id']}"
    assert siti.post(f"{case_path}/assign", json={"caseworker": "siti"}).status_code == 200
    assert siti.post(f"{case_path}/transitions", json={"to": "assessed"}).status_code == 200
    missing = siti.post(f"{case_path}/transitions", json={"to": "resolved"})
    assert missing.status_code == 422 and "outcome" in missing.text
    today = district_today().isoformat()
    resolved = siti.post(
        f"{case_path}/transitions",
        json={
            "to": "resolved",
            "note": "Dipulangkan oleh KJRI Hong Kong",
            "public": True,
            "outcome": {"kind": "repatriated", "returned_on": today},
        },
    )
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["outcome"], resolved.json()["outcome_details"]["returned_on"]) == (
        "repatriated",
        today,
    )

    wait_for(
        lambda: desk.get(path).json()["status"] == "returned",
        message="registration records the repatriation from the case's outcome",
    )
    record = desk.get(path).json()
    assert (record["return_reason"], record["returned_on"]) == ("repatriated", today)

    timeline = timeline_of(desk, worker["id"])
    steps = [e for e in timeline if e["event_type"].startswith("case_")]
    assert [e["event_type"] for e in steps] == CASE_STEPS
    assert [e["details"].get("status") for e in steps] == [
        "received",
        None,  # an assignment names no status
        "assessed",
        "resolved",
        "resolved",
        None,
    ]
    assert all(e["details"]["case_type"] == "lost_contact" for e in steps)
    assert steps[-1]["details"]["outcome"] == "repatriated"
    after = [e["event_type"] for e in timeline][-2:]
    assert after == [c.WORKER_RETURNED, c.WORKER_STATUS_CHANGED]
    assert timeline[-1]["details"]["caused_by"]["event_type"] == c.CASE_OUTCOME_RECORDED
    assert SUMMARY not in json.dumps(timeline) and "KJRI" not in json.dumps(timeline)

    exported = desk.get(f"{path}/export")
    assert exported.status_code == 200, exported.text
    held = exported.json()["services"]
    noted = [row["event_type"] for row in held[c.REGISTRATION]["timeline"]]
    assert c.CASE_OUTCOME_RECORDED in noted
    assert [row["id"] for row in held[c.PROTECTION]["cases"]] == [case["id"]]


def test_a_case_about_someone_not_registered_is_linked_to_her_record_later(api):
    desk, siti = api.as_role("operator", "desk-1"), api.as_role("caseworker", "siti")
    stranger = {
        "reporter_kind": "other",
        "channel": "phone",
        "aspect": "economic",
        "case_type": "unpaid_wages",
        "urgency": "normal",
        "summary": "Belum digaji empat bulan",
        "person_name": "Sri Wahyuni",
        "village_code": "35.05.01.2001",
        "destination_country": "HK",
    }
    case = desk.post("/cases", json=stranger).json()
    assert case["worker_id"] is None
    case_path = f"/cases/{case['id']}"
    assert siti.post(f"{case_path}/assign", json={"caseworker": "siti"}).status_code == 200

    worker = abroad(desk, full_name="Sri Wahyuni")
    linked = siti.post(f"{case_path}/link", json={"worker_id": worker["id"]})
    assert linked.status_code == 200, linked.text
    assert linked.json()["worker_id"] == worker["id"]
    assert [s["action"] for s in linked.json()["steps"]] == ["opened", "assigned", "linked"]
    again = siti.post(f"{case_path}/link", json={"worker_id": worker["id"]})
    assert again.status_code == 409

    def linked_on_the_timeline() -> list[dict]:
        return [e for e in timeline_of(desk, worker["id"]) if e["event_type"].startswith("case_")]

    wait_for(lambda: linked_on_the_timeline(), message="the link on the worker's timeline")
    (entry,) = linked_on_the_timeline()
    assert entry["event_type"] == c.CASE_LINKED
    assert (entry["details"]["case_type"], entry["details"]["status"]) == (
        "unpaid_wages",
        "received",
    )


def test_the_consoles_cases_page_counts_and_lists_open_cases_without_their_text(api):
    desk, admin = api.as_role("operator", "desk-1"), api.as_role("admin", "admin-1")
    budi = api.as_role("caseworker", "budi")
    worker = abroad(desk)
    mother = desk.post(f"/workers/{worker['id']}/family", json=MOTHER).json()
    normal = desk.post("/cases", json=filing(worker["id"], mother["id"], urgency="normal")).json()
    high = desk.post("/cases", json=filing(worker["id"], mother["id"])).json()
    hidden = desk.post(
        "/cases",
        json=filing(worker["id"], mother["id"], case_type="trafficking", aspect="legal"),
    ).json()

    seen = admin.get("/ops/cases")
    assert seen.status_code == 200, seen.text
    page = seen.json()
    assert [row["id"] for row in page["items"]] == [high["id"], hidden["id"], normal["id"]]
    assert (page["open"], page["by_urgency"]) == (3, {"emergency": 0, "high": 2, "normal": 1})
    assert page["by_type"] == {"lost_contact": 2, "trafficking": 1}
    assert page["by_country"] == {"HK": 3}
    assert page["weeks"][-1]["opened"] == 3 and len(page["weeks"]) == 12
    assert SUMMARY not in seen.text and MOTHER["full_name"] not in seen.text

    others = budi.get("/ops/cases").json()
    assert hidden["id"] not in {row["id"] for row in others["items"]}
    assert (others["open"], others["by_type"]) == (2, {"lost_contact": 2})
    assert desk.get("/ops/cases").status_code == 403  # the desk files cases, it does not read them


def test_a_payslip_scan_is_attached_to_the_case_and_read_back_by_its_caseworker(api):
    desk, siti = api.as_role("operator", "desk-1"), api.as_role("caseworker", "siti")
    budi = api.as_role("caseworker", "budi")
    worker = abroad(desk)
    mother = desk.post(f"/workers/{worker['id']}/family", json=MOTHER).json()
    case = desk.post(
        "/cases", json=filing(worker["id"], mother["id"], case_type="violence_abuse")
    ).json()
    path = f"/cases/{case['id']}"
    admin = api.as_role("admin", "admin-1")
    assert admin.post(f"{path}/assign", json={"caseworker": "siti"}).status_code == 200
    scan = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8  # a JPEG, by its first bytes

    def attaching(content: bytes):
        body = {
            "content_base64": base64.b64encode(content).decode(),
            "filename": "memar.jpg",
            "description": "foto memar di lengan",
        }
        return siti.post(f"{path}/attachments", json=body)

    refused = attaching(b"#!/bin/sh\necho not a photo\n")
    assert refused.status_code == 422 and "content_base64" in refused.text
    attached = attaching(scan)
    assert attached.status_code == 200, attached.text
    (kept,) = attached.json()["attachments"]
    assert (kept["media_type"], kept["size"], kept["added_by"]) == ("image/jpeg", len(scan), "siti")
    assert attached.json()["steps"][-1]["action"] == "attached"

    read = siti.get(f"{path}/attachments/{kept['id']}")
    assert read.status_code == 200, read.text
    assert base64.b64decode(read.json()["content_base64"]) == scan
    assert budi.get(f"{path}/attachments/{kept['id']}").status_code == 404  # a sensitive case
