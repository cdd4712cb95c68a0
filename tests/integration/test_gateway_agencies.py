"""Over HTTP an agency reads only what its agreement covers, each read is recorded, and the worker
(and the desk) can see who received what and take everything the platform holds.

One kind of agency each: a national agency reading every worker, narrowed fields; a placement
company reading its own recruits only."""

from __future__ import annotations

import datetime as dt

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from gateway.roles import AGENCY, WORKER
from gateway.testing import start_stack
from pmi_common import contract as c
from tests.helpers import worker_payload
from tests.integration.test_gateway_roles import agreement, agreements  # noqa: F401

COMPANY = "PT Sinar Jaya"


@pytest.fixture
def api(container_factory, config_for, agreements):  # noqa: F811
    now = dt.datetime.now(dt.UTC)
    agreements.put(
        agreement(
            "bpjs",
            fields={
                c.WORKER_REGISTERED: ("full_name", "sex"),
                c.WORKER_STATUS_CHANGED: ("to_status", "stage"),
            },
        ),
        "test",
        now,
    )
    agreements.put(
        agreement(
            "sinar-jaya",
            placement_agency=COMPANY,
            legal_basis="contract",
            fields={
                c.WORKER_REGISTERED: ("full_name", "placement_agency"),
                c.WORKER_STATUS_CHANGED: ("to_status", "reason"),
            },
        ),
        "test",
        now,
    )
    return start_stack(container_factory, config_for)


@pytest.fixture
def workers(api):
    desk = api.as_role("operator")
    own = desk.post("/workers", json=worker_payload(placement_agency=COMPANY)).json()
    other = desk.post("/workers", json=worker_payload(placement_agency="PT Lain Sekali")).json()
    return own, other


def test_a_national_agency_reads_every_worker_with_only_the_granted_fields(api, workers):
    own, other = workers
    bpjs = api.as_role(AGENCY, agency="bpjs")

    worker = bpjs.get(f"/workers/{own['id']}").json()
    listed = bpjs.get("/workers").json()["items"]
    timeline = bpjs.get(f"/workers/{own['id']}/timeline").json()

    assert worker == {
        "id": own["id"],
        "full_name": own["full_name"],
        "sex": own["sex"],
        "status": "registered",
        "stage": "pre_departure",
    }
    assert {w["id"] for w in listed} == {own["id"], other["id"]}
    assert all(set(w) == {"id", "full_name", "sex", "status", "stage"} for w in listed)
    assert {e["event_type"] for e in timeline} <= {c.WORKER_REGISTERED, c.WORKER_STATUS_CHANGED}
    assert all("nik" not in str(e) and "reason" not in e for e in timeline)


def test_even_an_agreement_granting_everything_gives_no_nik_birth_date_phone_or_bpjs_number(
    api, workers, agreements
):  # noqa: F811
    own, _ = workers
    api.as_role("operator").patch(f"/workers/{own['id']}", json={"bpjs_number": "12345678901"})
    agreements.put(agreement("everything"), "test", dt.datetime.now(dt.UTC))

    worker = api.as_role(AGENCY, agency="everything").get(f"/workers/{own['id']}").json()

    assert not {"nik", "birth_date", "phone", "bpjs_number"} & set(worker)
    assert worker["address"] == {"regency": own["address"]["regency"]}
    assert (
        own["nik"]
        not in api.as_role(AGENCY, agency="everything").get(f"/workers/{own['id']}/timeline").text
    )


def _session(api) -> dict:
    return (
        api.as_role("trainer")
        .post(
            "/orientation/sessions",
            json={
                "starts_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat(),
                "location": "LTSA Blitar",
                "capacity": 10,
                "topics": ["rights"],
            },
        )
        .json()
    )


def test_a_nik_typed_into_a_reason_is_refused_at_the_door(api):
    session = _session(api)

    refused = api.as_role("trainer").post(
        f"/orientation/sessions/{session['id']}/cancellation",
        json={"reason": "moved: ask for the list from 3505 1257/0394\u00a00001"},
    )

    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["type"] == "urn:pmi:problem:nik-in-free-text"
    assert problem["title"].startswith("Teks bebas memuat nomor mirip NIK")
    assert list(problem["errors"]) == ["reason"] and "0394" not in refused.text
    seen = api.as_role("trainer").get(f"/orientation/sessions/{session['id']}").json()
    assert seen["status"] == "scheduled"


def test_free_text_from_elsewhere_an_agency_reads_is_scrubbed_of_nik_like_numbers(api, config_for):
    session = _session(api)
    with ClusterRpcProxy(config_for("orientation")) as cluster:  # not typed at the gateway
        cluster.orientation.cancel_session(
            session["id"], {"reason": "moved: ask for the list from 3505  1257 / 0394_0001"}
        )

    seen = api.as_role(AGENCY, agency="bpjs").get(f"/orientation/sessions/{session['id']}")

    assert seen.status_code == 200 and seen.json()["id"] == session["id"]
    assert "0394" not in seen.text and "[nomor dihapus]" in seen.text


def test_an_agency_filters_workers_only_by_what_it_may_read(api, workers):
    bpjs = api.as_role(AGENCY, agency="bpjs")  # granted status and stage, not regency or country

    assert bpjs.get("/workers", params={"status": "registered"}).status_code == 200
    for hidden in ({"regency": "Blitar"}, {"destination_country": "HK"}):
        refused = bpjs.get("/workers", params=hidden)
        assert refused.status_code == 403
        assert refused.json()["detail"].endswith("it cannot filter by them")


def test_a_placement_company_reads_only_its_own_recruits(api, workers):
    own, other = workers
    company = api.as_role(AGENCY, agency="sinar-jaya")

    listed = company.get("/workers").json()["items"]
    assert [w["id"] for w in listed] == [own["id"]]
    assert listed[0] == {
        "id": own["id"],
        "full_name": own["full_name"],
        "placement_agency": COMPANY,
        "status": "registered",
    }
    assert company.get(f"/workers/{own['id']}").status_code == 200
    for path in (f"/workers/{other['id']}", f"/workers/{other['id']}/timeline"):
        assert company.get(path).status_code == 404, path
    for path in (
        f"/workers/{own['id']}/documents",
        f"/workers/{own['id']}/disclosures",
        f"/workers/{own['id']}/export",
    ):
        assert company.get(path).status_code == 403, path


def test_every_agency_read_is_recorded_and_the_worker_sees_who_read_what(api, workers):
    own, other = workers
    api.as_role(AGENCY, agency="bpjs").get(f"/workers/{own['id']}")
    api.as_role(AGENCY, agency="sinar-jaya").get("/workers")
    api.as_role(AGENCY, agency="sinar-jaya").get(f"/workers/{other['id']}")  # 404: not theirs

    record = api.as_role(WORKER, own["id"]).get(f"/workers/{own['id']}/disclosures").json()
    desk_view = api.as_role("operator").get(f"/workers/{own['id']}/disclosures").json()
    others = api.as_role("admin").get(f"/workers/{other['id']}/disclosures").json()

    assert [(d["agency"], d["channel"], d["what"], d["fields"]) for d in record["items"]] == [
        ("sinar-jaya", "http", "list_workers", ["full_name", "placement_agency", "status"]),
        ("bpjs", "http", "get_worker", ["full_name", "sex", "stage", "status"]),
    ]
    assert desk_view == record
    assert others["items"] == []  # a refused read disclosed nothing
    assert (
        api.as_role(WORKER, own["id"]).get(f"/workers/{other['id']}/disclosures").status_code == 403
    )
    assert (
        api.as_role("operator")
        .get("/workers/6f1c2a52-3d7e-4b8e-9d0a-0c8e6f3b2a11/disclosures")
        .status_code
        == 404
    )


def test_the_disclosure_record_pages_from_the_newest(api, workers):
    own, _ = workers
    bpjs = api.as_role(AGENCY, agency="bpjs")
    for _ in range(3):
        bpjs.get(f"/workers/{own['id']}")
    desk = api.as_role("operator")

    first = desk.get(f"/workers/{own['id']}/disclosures", params={"limit": 2}).json()
    rest = desk.get(
        f"/workers/{own['id']}/disclosures", params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()

    assert len(first["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    times = [d["disclosed_at"] for d in first["items"] + rest["items"]]
    assert times == sorted(times, reverse=True)
    assert (
        desk.get(f"/workers/{own['id']}/disclosures", params={"cursor": "drop table"}).status_code
        == 422
    )


def test_a_worker_takes_everything_every_service_holds_about_them_as_one_document(api, workers):
    own, other = workers
    api.as_role(AGENCY, agency="bpjs").get(f"/workers/{own['id']}")

    export = api.as_role(WORKER, own["id"]).get(f"/workers/{own['id']}/export").json()

    assert export["worker_id"] == own["id"] and export["unavailable"] == []
    assert set(export["services"]) == {*c.SERVICES, c.AGENCIES, c.GATEWAY}
    assert export["services"][c.AGENCIES]["recruits"] == [
        {"worker_id": own["id"], "placement_agency": own["placement_agency"]}
    ]
    registration = export["services"][c.REGISTRATION]
    assert registration["workers"][0]["nik"] == worker_payload_nik(own, api)
    assert {row["worker_id"] for row in registration["timeline"]} == {own["id"]}
    assert other["id"] not in str(export)
    assert [(d["agency"], d["what"]) for d in export["disclosures"]] == [("bpjs", "get_worker")]
    assert api.as_role("operator").get(f"/workers/{own['id']}/export").status_code == 200
    assert api.as_role("verifier").get(f"/workers/{own['id']}/export").status_code == 403


def worker_payload_nik(worker: dict, api) -> str:
    """The worker's NIK as the desk sees it (whole)."""
    return api.as_role("operator").get(f"/workers/{worker['id']}").json()["nik"]
