"""Personal data: roles that do not need identity numbers see them masked, and no role sees more
of a worker than its job needs. (Agencies see what their agreement grants, never a NIK:
``test_gateway_agencies``.)"""

import datetime as dt

import pytest

from gateway.testing import start_stack
from pmi_common import contract as c
from pmi_common.contract import DOCUMENTS, REGISTRATION
from tests.helpers import wait_for, worker_payload

PASSPORT = "C4812379"


@pytest.fixture
def api(container_factory, config_for):
    return start_stack(container_factory, config_for, services=(REGISTRATION, DOCUMENTS))


@pytest.fixture
def registered(api):
    """A registered worker with a passport on file: (payload, worker id, passport id)."""
    payload = worker_payload()
    worker_id = api.as_role("operator").post("/workers", json=payload).json()["id"]
    today = dt.date.today()
    passport = {
        "type": "passport",
        "number": PASSPORT,
        "issued_on": (today - dt.timedelta(days=10)).isoformat(),
        "expires_on": (today + dt.timedelta(days=1000)).isoformat(),
    }
    verifier = api.as_role("verifier")
    submitted = wait_for(
        lambda: (
            (r := verifier.post(f"/workers/{worker_id}/documents", json=passport)).status_code
            == 201
            and r
        )
    )
    return payload, worker_id, submitted.json()["id"]


@pytest.mark.parametrize("role", ["trainer"])
def test_a_trainer_sees_a_worker_masked_and_without_private_details(api, registered, role):
    payload, worker_id, _ = registered
    reader = api.as_role(role)

    worker = reader.get(f"/workers/{worker_id}").json()
    listed = reader.get("/workers").json()["items"]

    masked_nik = payload["nik"][:6] + "******" + payload["nik"][-4:]
    assert worker["nik"] == masked_nik and listed[0]["nik"] == masked_nik
    assert not {"birth_date", "phone"} & (set(worker) | set(listed[0]))
    assert worker["address"] == {"regency": "Blitar", "province": "Jawa Timur"}
    assert worker["status"] == "registered" and worker["full_name"] == payload["full_name"]
    assert payload["nik"] not in reader.get(f"/workers/{worker_id}/timeline").text


@pytest.mark.parametrize("role", ["trainer"])
def test_a_trainer_sees_document_numbers_masked(api, registered, role):
    _, worker_id, passport_id = registered
    reader = api.as_role(role)

    document = reader.get(f"/documents/{passport_id}").json()
    checklist = reader.get(f"/workers/{worker_id}/documents").text

    assert document["number"] == "*****379"
    assert PASSPORT not in checklist and "*****379" in checklist


@pytest.mark.parametrize("role", ["operator", "verifier", "admin", "worker"])
def test_the_desk_and_the_worker_see_the_whole_record(api, registered, role):
    payload, worker_id, passport_id = registered
    reader = api.as_role(role, worker_id if role == "worker" else None)

    worker = reader.get(f"/workers/{worker_id}").json()

    assert worker["nik"] == payload["nik"] and worker["birth_date"] == payload["birth_date"]
    assert worker["phone"] == payload["phone"]
    assert PASSPORT in reader.get(f"/workers/{worker_id}/documents").text
