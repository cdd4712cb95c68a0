"""The registration endpoints end to end: HTTP through the gateway to the registration service
and back, on the real broker and database."""

import uuid

import pytest

from gateway.testing import start_stack
from pmi_common.contract import REGISTRATION
from tests.helpers import worker_payload


@pytest.fixture
def api(container_factory, config_for):
    return start_stack(container_factory, config_for, services=(REGISTRATION,))


@pytest.fixture
def desk(api):
    return api.as_role("operator", "desk-1", agency="ltsa-blitar")


def register(desk, **overrides) -> dict:
    response = desk.post("/workers", json=worker_payload(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


def test_registration_answers_201_with_the_worker_and_where_it_lives(desk):
    payload = worker_payload()
    response = desk.post("/workers", json=payload)

    assert response.status_code == 201
    worker = response.json()
    assert worker["status"] == "registered" and worker["stage"] == "pre_departure"
    assert worker["nik"] == payload["nik"]
    assert response.headers["Location"] == f"/api/v1/workers/{worker['id']}"
    assert desk.get(f"/workers/{worker['id']}").json()["id"] == worker["id"]


def test_a_second_active_registration_of_a_nik_is_409_naming_the_first(desk):
    payload = worker_payload()
    first = desk.post("/workers", json=payload).json()

    again = desk.post("/workers", json=payload)

    assert again.status_code == 409
    assert again.headers["Content-Type"] == "application/problem+json"
    problem = again.json()
    assert problem["type"] == "urn:pmi:problem:duplicate-registration"
    assert problem["details"]["worker_id"] == first["id"]


def test_rules_only_the_service_knows_come_back_as_422_with_each_field(desk):
    response = desk.post(
        "/workers", json=worker_payload(nik="3505120000000000", destination_country="XX")
    )

    assert response.status_code == 422
    assert {"nik", "destination_country"} <= set(response.json()["errors"])


def test_an_unknown_worker_is_404(desk):
    response = desk.get(f"/workers/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["type"] == "urn:pmi:problem:not-found"


def test_workers_are_listed_by_filter_a_page_at_a_time(desk):
    ids = {register(desk)["id"] for _ in range(3)}
    register(desk, address={"regency": "Tulungagung"})

    first = desk.get("/workers", params={"regency": "Blitar", "limit": 2}).json()
    second = desk.get(
        "/workers", params={"regency": "Blitar", "limit": 2, "cursor": first["next_cursor"]}
    ).json()

    assert len(first["items"]) == 2 and first["next_cursor"]
    assert {w["id"] for w in first["items"] + second["items"]} == ids
    assert second["next_cursor"] is None


def test_the_desk_records_the_bpjs_number_and_the_worker_changes_their_phone(api, desk):
    worker = register(desk)
    own = api.as_role("worker", worker["id"])

    recorded = desk.patch(f"/workers/{worker['id']}", json={"bpjs_number": "12345678901"})
    changed = own.patch(f"/workers/{worker['id']}", json={"phone": "+6285700001111"})
    refused = own.patch(f"/workers/{worker['id']}", json={"bpjs_number": "99999999999"})

    assert recorded.status_code == 200 and recorded.json()["bpjs_number"] == "12345678901"
    assert changed.status_code == 200 and changed.json()["phone"] == "+6285700001111"
    assert refused.status_code == 403 and refused.json()["details"]["fields"] == ["bpjs_number"]
    assert desk.get(f"/workers/{worker['id']}").json()["bpjs_number"] == "12345678901"


def test_the_timeline_shows_who_did_what_under_the_callers_request_id(desk):
    response = desk.post("/workers", json=worker_payload(), headers={"X-Request-ID": "desk-42"})
    worker_id = response.json()["id"]

    assert response.headers["X-Request-ID"] == "desk-42"
    timeline = desk.get(f"/workers/{worker_id}/timeline").json()
    assert [e["event_type"] for e in timeline] == ["worker_registered", "worker_status_changed"]
    assert {e["correlation_id"] for e in timeline} == {"desk-42"}
    assert timeline[0]["actor"] == {
        "role": "operator",
        "agency": "ltsa-blitar",
        "subject": "desk-1",
    }


def test_departure_before_clearance_is_409_with_what_is_missing(desk):
    worker = register(desk)
    response = desk.post(
        f"/workers/{worker['id']}/departure",
        json={"departed_on": "2026-12-01", "destination_country": "HK", "employer": "Mr Chan"},
    )

    assert response.status_code == 409
    assert response.json()["type"] == "urn:pmi:problem:transition-refused"
    assert response.json()["details"]["missing"] == [
        "documents_verified",
        "orientation_completed",
        "bpjs_number",
    ]


def test_a_return_needs_a_departure_first(desk):
    worker = register(desk)
    response = desk.post(
        f"/workers/{worker['id']}/return",
        json={"returned_on": "2026-11-01", "reason": "contract_ended"},
    )
    assert response.status_code == 409


def test_a_worker_who_withdraws_is_withdrawn_and_counted(api, desk):
    worker = register(desk)

    response = desk.post(
        f"/workers/{worker['id']}/withdrawal", json={"reason": "found work at home"}
    )

    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    stats = api.as_role("trainer").get("/stats").json()
    assert stats["workers"]["by_status"] == {"withdrawn": 1}
    assert stats["workers"]["by_regency"] == {"Blitar": 1}
    assert set(stats["unavailable"]) == {"documents_desk", "reintegration"}
