"""A worker's whole migration through the gateway, as the desk apps and the worker's own app drive
it: every endpoint of the documents, orientation and reintegration services, with the status
moving by events between them (so the clients poll, as the brief says they may)."""

import base64
import datetime as dt

import pytest

from gateway.testing import start_stack
from pmi_common.contract import DOCUMENT_TYPES
from tests.helpers import wait_for, worker_payload
from tests.integration.test_gateway_roles import agreement, agreements  # noqa: F401

EXPIRING = {"passport", "work_visa", "health_certificate"}
SCAN = {"content_base64": base64.b64encode(b"%PDF-1.7\n% the worker's papers\n").decode()}


@pytest.fixture
def api(container_factory, config_for, agreements):  # noqa: F811
    agreements.put(agreement("bpjs-ketenagakerjaan"), "test", dt.datetime.now(dt.UTC))
    return start_stack(container_factory, config_for)


def document(kind: str, number: str = "") -> dict:
    today = dt.date.today()
    return {
        "type": kind,
        "number": number or f"{kind[:3].upper()}-{len(kind):04d}",
        "issued_on": (today - dt.timedelta(days=30)).isoformat(),
        "expires_on": (today + dt.timedelta(days=730)).isoformat() if kind in EXPIRING else None,
        "file": SCAN,
    }


def status_of(client, worker_id: str) -> str:
    return client.get(f"/workers/{worker_id}").json()["status"]


def until(call, status: int = 200, message: str = ""):
    """Call until the answer has ``status`` (the other services learn by events); the answer."""
    return wait_for(lambda: (r := call()).status_code == status and r, message=message)


def test_a_worker_goes_from_registration_to_reintegration_through_the_gateway(api):
    operator = api.as_role("operator", "desk-1", agency="ltsa-blitar")
    verifier = api.as_role("verifier", "desk-2", agency="ltsa-blitar")
    intake = api.as_role("verifier", "desk-3", agency="ltsa-blitar")  # submits; desk-2 decides
    trainer = api.as_role("trainer", "opp-1", agency="disnaker-blitar")
    agency = api.as_role("agency", "bpjs-1", agency="bpjs-ketenagakerjaan")
    admin = api.as_role("admin")
    payload = worker_payload()
    worker_id = operator.post("/workers", json=payload).json()["id"]
    worker = api.as_role("worker", worker_id)

    # documents: the worker sends their passport, the desk the rest; one is rejected and redone
    passport = until(
        lambda: worker.post(
            f"/workers/{worker_id}/documents", json=document("passport", "X1234567")
        ),
        201,
        "the documents service knows the worker",
    ).json()
    assert passport["number"] == "X1234567"
    others = [
        intake.post(f"/workers/{worker_id}/documents", json=document(kind)).json()
        for kind in DOCUMENT_TYPES
        if kind != "passport"
    ]
    queue = verifier.get("/documents/queue", params={"limit": 20}).json()
    assert {d["id"] for d in queue["items"]} == {passport["id"], *(d["id"] for d in others)}
    rejected = verifier.post(
        f"/documents/{passport['id']}/reject", json={"reason": "the photo page is blurred"}
    )
    assert rejected.json()["status"] == "rejected"
    passport = worker.post(
        f"/workers/{worker_id}/documents", json=document("passport", "X1234568")
    ).json()
    for doc in (passport, *others):
        assert verifier.post(f"/documents/{doc['id']}/verify", json={}).status_code == 200
    checklist = worker.get(f"/workers/{worker_id}/documents").json()
    assert checklist["complete"] is True
    assert trainer.get(f"/documents/{passport['id']}").json()["number"] == "*****568"
    wait_for(lambda: status_of(operator, worker_id) == "documents_verified")

    # orientation: a session, the enrolment, a wrong NIK at the door, then the right one
    starts_at = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    session = trainer.post(
        "/orientation/sessions",
        json={
            "starts_at": starts_at,
            "location": "LTSA Blitar, ruang 2",
            "capacity": 20,
            "topics": ["rights and obligations", "safe remittance"],
        },
    ).json()
    assert session["id"] in {s["id"] for s in trainer.get("/orientation/sessions").json()["items"]}
    assert trainer.get(f"/orientation/sessions/{session['id']}").json()["capacity"] == 20
    until(
        lambda: trainer.post(
            f"/orientation/sessions/{session['id']}/enrollments", json={"worker_id": worker_id}
        ),
        201,
        "orientation knows the documents are verified",
    )
    wrong_nik = payload["nik"][:-4] + "9999"
    mismatch = trainer.post(
        f"/orientation/sessions/{session['id']}/attendance",
        json={"worker_id": worker_id, "nik": wrong_nik},
    )
    assert mismatch.status_code == 409
    assert mismatch.json()["type"] == "urn:pmi:problem:identity-mismatch"
    incidents = operator.get("/orientation/incidents").json()["items"]
    assert [i["worker_id"] for i in incidents] == [worker_id]
    completion = trainer.post(
        f"/orientation/sessions/{session['id']}/attendance",
        json={"worker_id": worker_id, "nik": payload["nik"]},
    ).json()
    certificate = api.anonymous().get(f"/certificates/{completion['certificate_number']}")
    assert certificate.json()["valid"] is True
    assert certificate.json()["holder_initials"] == "S. N. A."  # never the name, nor her id
    assert payload["full_name"] not in certificate.text and worker_id not in certificate.text
    spare = trainer.post(
        "/orientation/sessions",
        json={"starts_at": starts_at, "location": "Kecamatan Kademangan", "capacity": 5},
    ).json()
    cancelled = trainer.post(
        f"/orientation/sessions/{spare['id']}/cancellation", json={"reason": "the hall is flooded"}
    )
    assert cancelled.json()["status"] == "cancelled"

    # clearance, departure and return
    wait_for(lambda: status_of(operator, worker_id) == "orientation_completed")
    operator.patch(f"/workers/{worker_id}", json={"bpjs_number": "12345678901"})
    assert status_of(operator, worker_id) == "cleared_for_departure"
    departed = operator.post(
        f"/workers/{worker_id}/departure",
        json={
            "departed_on": dt.date.today().isoformat(),
            "destination_country": "HK",
            "employer": "Mr Chan Tai Man",
        },
    )
    assert departed.json()["stage"] == "abroad"
    returned = operator.post(
        f"/workers/{worker_id}/return",
        json={"returned_on": dt.date.today().isoformat(), "reason": "contract_ended"},
    )
    assert returned.json()["status"] == "returned"

    # reintegration: invited, enrolled, through a round, completed with a business
    program = trainer.post(
        "/reintegration/programs",
        json={
            "name": "PAK CAMAT PMI 2027",
            "audience": "both",
            "capacity": 100,
            "starts_on": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
            "rounds": [{"name": "business model", "advance": 75}, {"name": "pitch", "advance": 3}],
        },
    ).json()
    assert agency.get(f"/reintegration/programs/{program['id']}").json()["capacity"] == 100
    assert program["id"] in {p["id"] for p in agency.get("/reintegration/programs").json()["items"]}
    wait_for(lambda: worker.get(f"/workers/{worker_id}/invitations").json()["kind"] == "returnee")
    assert program["id"] in {
        p["id"] for p in worker.get(f"/workers/{worker_id}/invitations").json()["programs"]
    }
    base = f"/reintegration/programs/{program['id']}"
    assert trainer.post(f"{base}/enrollments", json={"worker_id": worker_id}).status_code == 201
    for number in (1, 2):
        result = trainer.post(
            f"{base}/rounds",
            json={"worker_id": worker_id, "round": number, "advanced": True, "score": 80.5},
        )
        assert result.status_code == 200, result.text
    completed = trainer.post(
        f"{base}/completions",
        json={
            "worker_id": worker_id,
            "business_started": True,
            "business_name": "Ternak Lele Mandiri",
            "sector": "aquaculture",
            "regency": "Blitar",
        },
    )
    assert completed.json()["outcome"]["business_started"] is True
    assert agency.get(f"{base}/stats").json()["businesses_started"] == 1
    # the business is followed up six months on, not the day it started
    early = trainer.post(
        f"{base}/follow-ups",
        json={
            "worker_id": worker_id,
            "months": 6,
            "business_running": True,
            "income_band": "1m_to_3m",
            "migrated_again": False,
        },
    )
    assert early.status_code == 409, early.text
    assert early.json()["details"]["reason"] == "follow_up_not_due"
    wait_for(lambda: status_of(operator, worker_id) == "reintegrated")

    # what each side sees at the end
    stats = admin.get("/stats").json()
    assert stats["unavailable"] == [] and stats["reintegration"]["returnees_with_business"] == 1
    assert stats["workers"]["by_status"] == {"reintegrated": 1}
    timeline = worker.get(f"/workers/{worker_id}/timeline").json()
    assert {"worker_departed", "orientation_completed", "reintegration_completed"} <= {
        e["event_type"] for e in timeline
    }
    seen_by_agency = agency.get(f"/workers/{worker_id}").json()
    assert seen_by_agency["status"] == "reintegrated"
    assert not {"nik", "birth_date", "phone"} & set(seen_by_agency)
