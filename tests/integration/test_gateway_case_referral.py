"""A referral and the agency's answer back, through the gateway on the real broker and
PostgreSQL, with the agencies service running: a mother reports at the desk that her daughter in
Hong Kong has lost contact; the caseworker takes the case and refers it to an onboarded agency,
whose own queue receives `case_referred` without a NIK or the summary, while a second agency
granted the same type receives nothing; the agency answers on the case, the caseworker reads the
answer on it, the disclosure record keeps what was received; another agency's token finds no
case."""

from __future__ import annotations

import json

import pytest

from gateway.roles import AGENCY
from gateway.testing import start_stack
from pmi_common import contract as c
from services.agencies.service import AgenciesService
from tests.helpers import wait_for, worker_payload
from tests.integration.test_agencies import agencies  # noqa: F401 - the fixture
from tests.integration.test_agency_delivery import drain_as
from tests.integration.test_gateway_protection import MOTHER, SUMMARY, filing

REFERRAL_FIELDS = (
    "case_referred:case_id,case_type,aspect,urgency,sensitive,destination_country,"
    "referred_kind,referred_agency"
)


@pytest.fixture
def desk(container_factory, config_for, agencies):  # noqa: F811
    container_factory(
        AgenciesService,
        config_for("agencies", PSEUDONYM_KEY="referral-test-pseudonym-key-0123456789abcdef"),
    ).start()
    referred = agencies.onboard("bp3mi", [c.CASE_REFERRED], fields=[REFERRAL_FIELDS])
    other = agencies.onboard("kbri", [c.CASE_REFERRED], fields=[REFERRAL_FIELDS])
    api = start_stack(container_factory, config_for, services=(c.REGISTRATION, c.PROTECTION))
    return api, agencies, referred, other


def test_a_case_referred_to_an_agency_reaches_it_alone_and_its_answer_comes_back(desk):
    api, agencies, referred, other = desk  # noqa: F811
    operator, siti = api.as_role("operator", "desk-1"), api.as_role("caseworker", "siti")
    answering = api.as_role(AGENCY, "bp3mi-1", agency=referred.name)
    stranger = api.as_role(AGENCY, "kbri-1", agency=other.name)

    payload = worker_payload(destination_country="HK")
    worker = operator.post("/workers", json=payload).json()
    mother = operator.post(f"/workers/{worker['id']}/family", json=MOTHER).json()
    case = operator.post("/cases", json=filing(worker["id"], mother["id"])).json()
    path = f"/cases/{case['id']}"
    assert siti.post(f"{path}/assign", json={"caseworker": "siti"}).status_code == 200
    assert siti.post(f"{path}/transitions", json={"to": "assessed"}).status_code == 200

    # not referred yet: no agency may answer on it
    early = answering.post(f"{path}/updates", json={"status": "received"})
    assert early.status_code == 404, early.text

    unnamed = siti.post(f"{path}/transitions", json={"to": "referred"})
    assert unnamed.status_code == 422 and "referral" in unnamed.text
    nobody = siti.post(
        f"{path}/transitions",
        json={"to": "referred", "referral": {"kind": "agency", "agency": "bp3mi-jatim-typo"}},
    )
    assert nobody.status_code == 422 and "bp3mi-jatim-typo" in nobody.json()["detail"]
    assert siti.get(path).json()["status"] != "referred"  # refused: nothing changed
    moved = siti.post(
        f"{path}/transitions",
        json={
            "to": "referred",
            "note": "Mohon bantuan pelacakan",
            "referral": {"kind": "agency", "agency": referred.name},
        },
    )
    assert moved.status_code == 200, moved.text
    step = moved.json()["steps"][-1]
    assert (step["to_status"], step["agency"], step["referral"]["kind"]) == (
        "referred",
        referred.name,
        "agency",
    )

    received: list[dict] = []
    wait_for(
        lambda: received.extend(drain_as(agencies.uri(referred), referred.queue)) or received,
        message="the referral in the referred agency's queue",
    )
    (event,) = received
    assert event["event_type"] == c.CASE_REFERRED and event["worker_id"] == worker["id"]
    assert event["data"]["case_id"] == case["id"]
    assert event["data"]["referred_agency"] == referred.name
    assert (event["data"]["destination_country"], event["data"]["case_type"]) == (
        "HK",
        "lost_contact",
    )
    text = json.dumps(event)
    assert payload["nik"] not in text and SUMMARY not in text and "pelacakan" not in text

    # the agency answers; a NIK typed into the note is refused at the door
    typed = answering.post(
        f"{path}/updates", json={"status": "in_progress", "note": f"NIK {payload['nik']}"}
    )
    assert typed.status_code == 422, typed.text
    answered = answering.post(
        f"{path}/updates",
        json={"status": "in_progress", "note": "Petugas kami menghubungi majikan"},
    )
    assert answered.status_code == 201, answered.text
    assert answered.json()["status"] == "in_progress"
    assert "summary" not in answered.json()  # the agency's own answer, nothing of the case

    seen = siti.get(path).json()
    answer = seen["steps"][-1]
    assert (answer["action"], answer["agency"], answer["answer"], answer["role"]) == (
        "answered",
        referred.name,
        "in_progress",
        AGENCY,
    )
    assert answer["note"] == "Petugas kami menghubungi majikan"
    assert seen["status"] == "referred"  # the caseworker moves the case

    # another agency, granted the same type: nothing in its queue, and no case to answer on
    assert stranger.post(f"{path}/updates", json={"status": "resolved"}).status_code == 404
    assert drain_as(agencies.uri(other), other.queue) == []
    assert drain_as(agencies.uri(referred), referred.queue) == []  # nothing else of the case

    record = operator.get(f"/workers/{worker['id']}/disclosures").json()["items"]
    by_route = {(row["agency"], row["what"]): row for row in record}
    assert (referred.name, c.CASE_REFERRED) in by_route  # what was sent, by its delivery
    got = by_route[(referred.name, "answer_case")]  # what the platform received
    assert got["channel"] == "http" and got["fields"] == ["note", "status"]
    assert not any(row["agency"] == other.name for row in record)
