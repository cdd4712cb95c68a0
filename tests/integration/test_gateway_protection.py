"""The protection desk through the gateway, on the real broker and databases: a mother reports at
the desk that her daughter abroad has lost contact; a caseworker takes the case and works it;
the family follows it with its number and code and nothing else; a sensitive case stays with its
caseworker and the admin; the events carry neither the NIK nor the summary."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from gateway.testing import start_stack
from pmi_common import contract as c
from pmi_common.clock import Clock, FixedClock
from pmi_common.runner import service_class
from tests.helpers import Subscriber, worker_payload

MOTHER = {
    "full_name": "Sumini",
    "relation": "parent",
    "phone": "+6281311112222",
    "village": "Kademangan",
    "district": "Kademangan",
    "heir": True,
    "emergency_contact": True,
    "consent_to_contact": True,
}
SUMMARY = "Sudah enam minggu anak kami di Hong Kong tidak menelepon"


@pytest.fixture
def api(container_factory, config_for):
    return start_stack(container_factory, config_for, services=(c.REGISTRATION, c.PROTECTION))


def filing(worker_id: str, member_id: str, **changes) -> dict:
    return {
        "worker_id": worker_id,
        "reporter_kind": "family_member",
        "family_member_id": member_id,
        "channel": "desk",
        "aspect": "social",
        "case_type": "lost_contact",
        "urgency": "high",
        "summary": SUMMARY,
        **changes,
    }


def test_a_familys_report_is_worked_by_its_caseworker_and_followed_with_a_code(api, rabbit_config):
    events = Subscriber(rabbit_config["AMQP_URI"], c.exchange_name(c.PROTECTION))
    desk, siti = api.as_role("operator", "desk-1"), api.as_role("caseworker", "siti")
    registered = worker_payload()
    worker = desk.post("/workers", json=registered).json()
    mother = desk.post(f"/workers/{worker['id']}/family", json=MOTHER).json()

    filed = desk.post("/cases", json=filing(worker["id"], mother["id"]))
    assert filed.status_code == 201, filed.text
    case = filed.json()
    assert filed.headers["Location"] == f"/api/v1/cases/{case['id']}"
    assert (case["status"], case["destination_country"], case["assigned_to"]) == (
        "received",
        registered["destination_country"],
        None,
    )
    number, code = case["number"], case["code"]

    taken = siti.post(f"/cases/{case['id']}/assign", json={"caseworker": "siti"})
    assert taken.status_code == 200, taken.text
    assessed = siti.post(
        f"/cases/{case['id']}/transitions",
        json={"to": "assessed", "note": "Kami menghubungi agensi di Hong Kong", "public": True},
    )
    assert assessed.status_code == 200, assessed.text
    siti.post(
        f"/cases/{case['id']}/transitions",
        json={"to": "in_progress", "note": "majikan: +85291234567"},
    )
    skipped = siti.post(f"/cases/{case['id']}/transitions", json={"to": "closed"})
    assert skipped.status_code == 422 and "catatan wajib" in skipped.json()["detail"]
    assert siti.get(f"/cases/{case['id']}").json()["acted_at"] is not None
    assert [c_["id"] for c_ in siti.get("/cases").json()["items"]] == [case["id"]]

    family = api.anonymous()
    status = family.get(f"/public/cases/{number}", headers={"X-Case-Code": code})
    assert status.status_code == 200, status.text
    assert status.json()["status"] == "in_progress"
    assert status.json()["status_label"]["id"] == "Sedang ditangani"
    assert [n["note"] for n in status.json()["notes"]] == ["Kami menghubungi agensi di Hong Kong"]
    assert SUMMARY not in status.text and "+85291234567" not in status.text
    assert family.get(f"/public/cases/{number}", params={"code": code.lower()}).status_code == 200
    wrong_code = family.get(f"/public/cases/{number}", headers={"X-Case-Code": "ZZZZZZZZZZ"})
    wrong_number = family.get("/public/cases/PGD-2026-00000000", headers={"X-Case-Code": code})
    assert wrong_code.status_code == wrong_number.status_code == 404
    assert {
        k: v for k, v in wrong_code.json().items() if k not in ("instance", "correlation_id")
    } == {k: v for k, v in wrong_number.json().items() if k not in ("instance", "correlation_id")}
    assert wrong_code.json()["detail"].startswith("kasus tidak ditemukan")

    published = events.wait_for(lambda got: len(got) >= 4)
    assert [e["event_type"] for e in published] == [
        c.CASE_OPENED,
        c.CASE_ASSIGNED,
        c.CASE_STATUS_CHANGED,
        c.CASE_STATUS_CHANGED,
    ]
    assert all(e["worker_id"] == worker["id"] for e in published)
    text = json.dumps(published)
    assert registered["nik"] not in text and SUMMARY not in text and code not in text
    events.close()


def test_a_sensitive_case_is_seen_only_by_its_caseworker_and_the_admin(api):
    desk, admin = api.as_role("operator", "desk-1"), api.as_role("admin", "admin-1")
    siti, budi = api.as_role("caseworker", "siti"), api.as_role("caseworker", "budi")
    worker = desk.post("/workers", json=worker_payload()).json()
    mother = desk.post(f"/workers/{worker['id']}/family", json=MOTHER).json()
    filed = desk.post(
        "/cases",
        json=filing(
            worker["id"], mother["id"], case_type="trafficking", aspect="legal", urgency="emergency"
        ),
    ).json()
    path = f"/cases/{filed['id']}"

    assert budi.get(path).status_code == 404
    assert siti.post(f"{path}/assign", json={"caseworker": "siti"}).status_code == 404
    assert admin.post(f"{path}/assign", json={"caseworker": "siti"}).status_code == 200
    assert siti.get(path).json()["sensitive"] is True
    assert budi.get(path).status_code == 404
    assert filed["id"] not in {x["id"] for x in budi.get("/cases").json()["items"]}
    assert filed["id"] in {x["id"] for x in siti.get("/cases").json()["items"]}
    refused = budi.post(f"{path}/transitions", json={"to": "assessed"})
    assert refused.status_code == 404
    assert desk.get(path).status_code == 403  # the LTSA's desk files cases, it does not read them

    # the export she downloads herself lists the case and leaves its account for the desk: the
    # phone may be in the hands of the one she reported
    own = api.as_role("worker", worker["id"]).get(f"/workers/{worker['id']}/export")
    assert own.status_code == 200, own.text
    kept = own.json()
    assert SUMMARY not in json.dumps(kept)
    (case,) = kept["services"][c.PROTECTION]["cases"]
    assert (case["number"], case["case_type"]) == (filed["number"], "trafficking")
    assert case["summary"] == "[ada di loket / at the desk]"
    assert any("protected case" in left["what"] for left in kept["not_exported"])
    at_the_desk = desk.get(f"/workers/{worker['id']}/export").json()
    assert SUMMARY in json.dumps(at_the_desk["services"][c.PROTECTION])
    assert not any("protected case" in left["what"] for left in at_the_desk["not_exported"])


def test_an_emergency_unacknowledged_past_two_hours_is_overdue_and_listed_first(
    container_factory, config_for
):
    """The desk's clock moved on two hours and a minute: the emergency filed beside a normal case
    has passed its limit (acknowledged within 2 hours), the normal one (1 working day) has not;
    once a caseworker assesses it, it is overdue no more."""
    clock = FixedClock(dt.datetime.now(dt.UTC))
    protection = container_factory(service_class(c.PROTECTION), config_for(c.PROTECTION))
    next(d for d in protection.dependencies if isinstance(d, Clock)).clock = clock
    protection.start()
    api = start_stack(container_factory, config_for, services=(c.REGISTRATION,))
    desk, siti = api.as_role("operator", "desk-1"), api.as_role("caseworker", "siti")
    worker = desk.post("/workers", json=worker_payload()).json()
    mother = desk.post(f"/workers/{worker['id']}/family", json=MOTHER).json()
    normal = desk.post("/cases", json=filing(worker["id"], mother["id"], urgency="normal"))
    emergency = desk.post(
        "/cases",
        json=filing(
            worker["id"],
            mother["id"],
            urgency="emergency",
            aspect="health",
            case_type="illness_injury",
            summary="Dirawat di rumah sakit, majikan menahan paspor",
        ),
    )
    assert normal.status_code == emergency.status_code == 201, emergency.text
    normal, emergency = normal.json(), emergency.json()

    listed = siti.get("/cases").json()
    assert (listed["open"], listed["overdue"]) == (2, 0)
    assert all(item["overdue"] == [] for item in listed["items"])

    clock.advance(hours=2, minutes=1)
    listed = siti.get("/cases").json()
    assert (listed["open"], listed["overdue"]) == (2, 1)
    assert [(item["id"], item["overdue"]) for item in listed["items"]] == [
        (emergency["id"], ["acknowledge"]),
        (normal["id"], []),
    ]
    assert siti.get("/cases?overdue=true").json()["items"][0]["id"] == emergency["id"]

    path = f"/cases/{emergency['id']}"
    assert siti.post(f"{path}/assign", json={"caseworker": "siti"}).status_code == 200
    moved = siti.post(f"{path}/transitions", json={"to": "assessed", "note": "menelepon KBRI"})
    assert moved.status_code == 200, moved.text
    assert siti.get(path).json()["overdue"] == []
    assert siti.get("/cases").json()["overdue"] == 0
