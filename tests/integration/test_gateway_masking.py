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


SISTER = {
    "full_name": "Sri Wahyuni",
    "relation": "sibling",
    "phone": "+6281377778888",
    "village": "Sumberjo",
    "district": "Sanankulon",
    "heir": True,
    "emergency_contact": True,
    "consent_to_contact": True,
}


def test_a_trainer_reads_a_worker_s_timeline_without_the_family_s_data_nor_the_cause_of_death(
    api,
):
    desk, trainer = api.as_role("operator"), api.as_role("trainer")
    today = dt.date.today()
    worker = desk.post("/workers", json=worker_payload()).json()
    path = f"/workers/{worker['id']}"
    sister = desk.post(f"{path}/family", json=SISTER).json()
    changed = desk.patch(f"{path}/family/{sister['id']}", json={"village": "Kanigoro"})
    died = desk.post(
        f"{path}/death",
        json={
            "died_on": today.isoformat(),
            "country": "ID",
            "cause": "illness",
            "remains_repatriated": False,
            "heirs": [sister["id"]],
        },
    )
    assert changed.status_code == 200 and died.status_code == 200, died.text
    on_the_desk = desk.get(f"{path}/timeline").json()
    assert "illness" in str(on_the_desk)  # the desk's view keeps what the trainer's drops

    read = trainer.get(f"{path}/timeline")
    seen = trainer.get(path).json()

    assert read.status_code == 200
    events = [e["event_type"] for e in read.json()]
    assert events == [e["event_type"] for e in on_the_desk]
    assert {c.FAMILY_MEMBER_ADDED, c.FAMILY_MEMBER_CHANGED, c.WORKER_DIED} <= set(events)
    for personal in ("Sri Wahyuni", "+6281377778888", "Sumberjo", "Kanigoro", "Sanankulon"):
        assert personal not in read.text and personal not in str(seen)
    assert "illness" not in read.text and "illness" not in str(seen)
    assert "heirs" not in seen and "death_cause" not in seen and seen["status"] == "deceased"
    died_entry = next(e for e in read.json() if e["event_type"] == c.WORKER_DIED)
    assert died_entry["details"] == {"died_on": today.isoformat()}
