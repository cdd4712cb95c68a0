"""The time abroad and the family through the gateway, on the real broker and databases: a worker
departs under a contract, it is extended, the employer changes, the reintegration desk finds her
on its outreach list; her family is kept by the desk and by herself, on her timeline and in her
export, and an agency without a grant for it receives none of the family's data."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.roles import AGENCY
from gateway.testing import start_stack
from pmi_common import contract as c
from tests.events import envelope, publish
from tests.helpers import district_today, wait_for, worker_payload
from tests.integration.test_gateway_roles import agreement, agreements  # noqa: F401

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


@pytest.fixture
def api(container_factory, config_for, agreements):  # noqa: F811
    agreements.put(
        agreement(
            "bpjs",
            fields={
                c.WORKER_REGISTERED: ("full_name", "sex"),
                c.WORKER_STATUS_CHANGED: ("to_status", "stage"),
            },
        ),
        "test",
        dt.datetime.now(dt.UTC),
    )
    return start_stack(container_factory, config_for, services=(c.REGISTRATION, c.AGENCIES))


def cleared(api, rabbit_config) -> dict:
    """A registered worker whose documents and orientation other services have announced, with
    a BPJS number: cleared for departure."""
    desk = api.as_role("operator")
    worker = desk.post("/workers", json=worker_payload(occupation="caregiver")).json()
    uri = rabbit_config["AMQP_URI"]
    publish(
        uri,
        envelope(
            c.DOCUMENTS_COMPLETED,
            worker["id"],
            {"document_ids": ["d1"], "earliest_expiry": None},
            sequence=9,
        ),
    )
    publish(
        uri,
        envelope(
            c.ORIENTATION_COMPLETED,
            worker["id"],
            {
                "session_id": "s1",
                "certificate_number": "OPP-1",
                "completed_at": "2026-11-01T09:00:00Z",
            },
        ),
    )
    desk.patch(f"/workers/{worker['id']}", json={"bpjs_number": "12345678901"})
    wait_for(
        lambda: desk.get(f"/workers/{worker['id']}").json()["status"] == "cleared_for_departure",
        message="cleared",
    )
    return worker


def test_a_worker_departs_under_a_contract_extended_with_a_new_employer_and_is_due_home(
    api, rabbit_config
):
    desk = api.as_role("operator")
    today = district_today()
    worker = cleared(api, rabbit_config)
    other = cleared(api, rabbit_config)
    path = f"/workers/{worker['id']}"
    end = today + dt.timedelta(days=60)

    departed = desk.post(
        f"{path}/departure",
        json={
            "departed_on": today.isoformat(),
            "destination_country": "HK",
            "employer": "Mrs Chan",
            "contract_ends_on": end.isoformat(),
        },
    )
    desk.post(
        f"/workers/{other['id']}/departure",
        json={
            "departed_on": today.isoformat(),
            "destination_country": "TW",
            "employer": "Mr Lin",
            "contract_ends_on": (today + dt.timedelta(days=700)).isoformat(),
        },
    )
    assert departed.status_code == 200, departed.text
    assert departed.json()["sector"] == "informal"  # a caregiver works for a household
    assert departed.json()["contract_ends_on"] == end.isoformat()

    outreach = api.as_role("trainer").get("/contracts/ending", params={"within_days": 90})
    assert [w["id"] for w in outreach.json()["items"]] == [worker["id"]]

    longer = end + dt.timedelta(days=365)
    extended = desk.post(f"{path}/contract/extension", json={"ends_on": longer.isoformat()})
    changed = desk.post(
        f"{path}/employer-change",
        json={
            "employer": "Kowloon Garments Ltd",
            "changed_on": today.isoformat(),
            "reason": "the employer emigrated",
            "occupation": "sewing machine operator",
        },
    )
    expected = desk.post(f"{path}/expected-return", json={"expected_return_on": longer.isoformat()})
    too_soon = desk.post(f"{path}/contract/extension", json={"ends_on": today.isoformat()})

    assert extended.json()["contract_ends_on"] == longer.isoformat()
    assert (changed.json()["employer"], changed.json()["sector"]) == (
        "Kowloon Garments Ltd",
        "formal",
    )
    assert expected.status_code == 200 and too_soon.status_code == 422
    assert api.as_role("trainer").get("/contracts/ending").json()["items"] == []
    assert api.as_role("agency", agency="bpjs").get("/contracts/ending").status_code == 403
    timeline = [e["event_type"] for e in desk.get(f"{path}/timeline").json()]
    assert timeline[-4:] == [
        c.WORKER_STATUS_CHANGED,
        c.CONTRACT_EXTENDED,
        c.EMPLOYER_CHANGED,
        c.RETURN_EXPECTED,
    ]
    assert c.CONTRACT_RECORDED in timeline


def test_the_family_is_kept_by_the_desk_and_the_worker_and_no_agency_without_a_grant_sees_it(
    api,
):
    desk = api.as_role("operator")
    worker = desk.post("/workers", json=worker_payload()).json()
    path = f"/workers/{worker['id']}/family"
    herself = api.as_role("worker", worker["id"])
    bpjs = api.as_role(AGENCY, agency="bpjs")

    mother = desk.post(path, json=MOTHER)
    husband = herself.post(path, json={"full_name": "Budi Santoso", "relation": "spouse"})
    assert mother.status_code == 201 and husband.status_code == 201, husband.text
    member = f"{path}/{husband.json()['id']}"
    changed = herself.patch(member, json={"phone": "+6281355556666", "heir": True})
    refused = desk.patch(member, json={"phone": None, "emergency_contact": True})
    removed = desk.delete(f"{path}/{mother.json()['id']}")
    someone_else = api.as_role("worker", mother.json()["id"]).get(path)

    assert changed.json()["heir"] is True and changed.json()["contactable"] is False
    assert refused.status_code == 422 and "phone" in refused.text
    assert removed.status_code == 200
    assert [m["full_name"] for m in herself.get(path).json()] == ["Budi Santoso"]
    assert someone_else.status_code == 403

    timeline = desk.get(f"/workers/{worker['id']}/timeline").json()
    assert [e["event_type"] for e in timeline][-4:] == [
        c.FAMILY_MEMBER_ADDED,
        c.FAMILY_MEMBER_ADDED,
        c.FAMILY_MEMBER_CHANGED,
        c.FAMILY_MEMBER_REMOVED,
    ]
    assert "Sumini" not in str(timeline) and "+628131" not in str(timeline)
    export = herself.get(f"/workers/{worker['id']}/export").json()
    assert [m["full_name"] for m in export["services"]["registration"]["family_members"]] == [
        "Budi Santoso"
    ]

    # the agency: no family route, no family event on the timeline it reads, nothing named
    assert bpjs.get(path).status_code == 403
    assert bpjs.post(path, json=MOTHER).status_code == 403
    read = bpjs.get(f"/workers/{worker['id']}/timeline")
    assert read.status_code == 200
    assert not {e["event_type"] for e in read.json()} & {
        c.FAMILY_MEMBER_ADDED,
        c.FAMILY_MEMBER_CHANGED,
        c.FAMILY_MEMBER_REMOVED,
    }
    for personal in ("Sumini", "Budi Santoso", "+6281311112222", "+6281355556666"):
        assert personal not in read.text
    disclosed = desk.get(f"/workers/{worker['id']}/disclosures").json()["items"]
    assert not any("family" in d["what"] for d in disclosed)


def test_a_worker_who_died_abroad_is_final_with_her_heirs_and_an_agency_without_a_grant_learns_only_the_status(  # noqa: E501
    api, rabbit_config
):
    desk = api.as_role("operator")
    today = district_today()
    worker = cleared(api, rabbit_config)
    path = f"/workers/{worker['id']}"
    desk.post(
        f"{path}/departure",
        json={"departed_on": today.isoformat(), "destination_country": "MY", "employer": "Ah Kow"},
    )
    mother = desk.post(f"{path}/family", json=MOTHER).json()

    died = desk.post(
        f"{path}/death",
        json={
            "died_on": today.isoformat(),
            "country": "MY",
            "cause": "work_accident",
            "remains_repatriated": True,
            "remains_arrive_on": (today + dt.timedelta(days=6)).isoformat(),
            "heirs": [mother["id"]],
        },
    )
    assert died.status_code == 200, died.text
    assert (died.json()["status"], died.json()["heirs"]) == ("deceased", [mother["id"]])
    back = {"returned_on": today.isoformat(), "reason": "repatriated"}
    assert desk.post(f"{path}/return", json=back).status_code == 409
    nik = desk.get(path).json()["nik"]
    again = desk.post("/workers", json=worker_payload(nik=nik))
    assert again.status_code == 409 and "deceased" in again.text

    timeline = desk.get(f"{path}/timeline").json()
    assert [e["event_type"] for e in timeline][-2:] == [c.WORKER_DIED, c.WORKER_STATUS_CHANGED]
    assert "Sumini" not in str(timeline)
    record = desk.get(f"{path}/export").json()["services"]["registration"]["workers"][0]
    assert record["died_on"] == today.isoformat() and record["heirs"] == [mother["id"]]

    bpjs = api.as_role(AGENCY, agency="bpjs")
    read = bpjs.get(f"{path}/timeline").json()
    assert read[-1]["to_status"] == "deceased"
    assert c.WORKER_DIED not in {e["event_type"] for e in read}
    assert "died_on" not in bpjs.get(path).json() and "Sumini" not in str(read)


def test_a_former_worker_is_registered_with_a_past_placement_and_joins_a_returnee_programme(
    container_factory, config_for
):
    api = start_stack(
        container_factory, config_for, services=(c.REGISTRATION, c.REINTEGRATION, c.AGENCIES)
    )
    desk, trainer = api.as_role("operator"), api.as_role("trainer")
    payload = worker_payload(destination_country="MY", occupation="plantation worker")
    del payload["placement_agency"]
    former = desk.post(
        "/former-workers",
        json={**payload, "from_year": 2009, "to_year": 2015, "source": "family"},
    )
    assert former.status_code == 201, former.text
    worker = former.json()
    assert (worker["status"], worker["past_placement"]["to_year"]) == ("returned", 2015)
    program = trainer.post(
        "/reintegration/programs",
        json={
            "name": "PAK CAMAT PMI mantan",
            "audience": "returnee",
            "capacity": 20,
            "starts_on": (district_today() + dt.timedelta(days=30)).isoformat(),
            "rounds": [{"name": "pitch", "advance": 5}],
        },
    ).json()

    invited = f"/workers/{worker['id']}/invitations"

    def returnee() -> bool:  # unknown (404) to reintegration until registration's events arrive
        answer = desk.get(invited)
        return answer.status_code == 200 and answer.json()["kind"] == "returnee"

    wait_for(returnee, message="reintegration counts the former worker as a returnee")
    assert program["id"] in {p["id"] for p in desk.get(invited).json()["programs"]}
    enrolled = trainer.post(
        f"/reintegration/programs/{program['id']}/enrollments", json={"worker_id": worker["id"]}
    )
    assert enrolled.status_code == 201, enrolled.text
    wait_for(
        lambda: desk.get(f"/workers/{worker['id']}").json()["status"] == "in_reintegration",
        message="in reintegration",
    )
    timeline = [e["event_type"] for e in desk.get(f"/workers/{worker['id']}/timeline").json()]
    assert timeline[:3] == [
        c.WORKER_REGISTERED,
        c.WORKER_STATUS_CHANGED,
        c.FORMER_WORKER_REGISTERED,
    ]
    assert c.REINTEGRATION_ENROLLED in timeline


def test_a_non_procedural_worker_is_recorded_abroad_and_later_repatriated(api):
    desk, bpjs = api.as_role("operator"), api.as_role(AGENCY, agency="bpjs")
    today = district_today()
    payload = worker_payload(destination_country="SA", occupation="housemaid")
    del payload["placement_agency"]
    account = "left with a sponsor in 2025; her mother last heard from her in March"
    recorded = desk.post(
        "/non-procedural-workers",
        json={**payload, "family_account": account, "source": "family"},
    )
    assert recorded.status_code == 201, recorded.text
    worker = recorded.json()
    assert (worker["status"], worker["non_procedural"]) == ("departed", True)
    path = f"/workers/{worker['id']}"

    back = desk.post(
        f"{path}/return", json={"returned_on": today.isoformat(), "reason": "repatriated"}
    )
    assert back.status_code == 200, back.text
    assert (back.json()["status"], back.json()["return_reason"]) == ("returned", "repatriated")
    timeline = desk.get(f"{path}/timeline").json()
    assert [e["event_type"] for e in timeline][2] == c.NON_PROCEDURAL_WORKER_RECORDED
    assert timeline[-2]["details"]["reason"] == "repatriated" and account not in str(timeline)
    export = desk.get(f"{path}/export").json()["services"]["registration"]["workers"][0]
    assert export["family_account"] == account
    seen = bpjs.get(f"{path}/timeline")
    assert seen.status_code == 200 and account not in seen.text
    assert "family_account" not in bpjs.get(path).json()
