"""The worker's own routes of her app, through the gateway on the real broker and databases: the
sessions to come and enrolling herself (refused until her documents are verified), and a problem
she reports, which her family follows with its number and code; no other worker reaches hers."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.testing import start_stack
from pmi_common import contract as c
from tests.helpers import worker_payload

OTHER = "00000000-0000-4000-8000-000000000001"


@pytest.fixture
def api(container_factory, config_for):
    return start_stack(
        container_factory,
        config_for,
        services=(c.REGISTRATION, c.DOCUMENTS, c.ORIENTATION, c.PROTECTION),
    )


def test_she_sees_the_sessions_and_is_refused_a_seat_before_her_documents(api):
    desk = api.as_role("operator", "desk-1")
    worker = desk.post("/workers", json=worker_payload()).json()
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(microsecond=0)
    session = api.as_role("trainer").post(
        "/orientation/sessions",
        json={"starts_at": starts.isoformat(), "location": "Aula LTSA", "capacity": 5},
    )
    assert session.status_code == 201, session.text
    siti = api.as_role("worker", worker["id"])
    sessions = siti.get(f"/workers/{worker['id']}/orientation/sessions")
    assert sessions.status_code == 200, sessions.text
    (seen,) = [s for s in sessions.json()["items"] if s["id"] == session.json()["id"]]
    assert seen["seats_left"] == 5
    seat = f"/workers/{worker['id']}/orientation/sessions/{seen['id']}/enrollment"
    refused = siti.post(seat)
    assert refused.status_code == 409, refused.text
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    other = api.as_role("worker", OTHER)
    assert other.post(seat).status_code == 403
    assert other.get(f"/workers/{worker['id']}/orientation/sessions").status_code == 403


def test_she_reports_a_problem_that_her_family_follows_with_the_number_and_code(api):
    desk = api.as_role("operator", "desk-1")
    worker = desk.post("/workers", json=worker_payload()).json()
    siti = api.as_role("worker", worker["id"])
    problem = {
        "aspect": "economic",
        "case_type": "unpaid_wages",
        "urgency": "high",
        "summary": "Gaji dua bulan belum dibayar",
    }
    made = siti.post(f"/workers/{worker['id']}/cases", json=problem)
    assert made.status_code == 201, made.text
    case = made.json()
    assert case["reporter_kind"] == "worker" and case["channel"] == "app"
    followed = api.anonymous().get(
        f"/public/cases/{case['number']}", headers={"X-Case-Code": case["code"]}
    )
    assert followed.status_code == 200, followed.text
    assert followed.json()["number"] == case["number"]
    assert (
        api.as_role("worker", OTHER)
        .post(f"/workers/{worker['id']}/cases", json=problem)
        .status_code
        == 403
    )
    as_told = desk.post(f"/workers/{worker['id']}/cases", json=problem).json()
    assert as_told["channel"] == "desk"
