"""The time abroad told whole, through the gateway, on the real broker and databases, with every
service and the agencies service running: a worker goes through the desks, departs under a contract,
has it extended, changes employer, sees her passport lapse abroad and renewed there, and comes home;
another dies abroad, her remains repatriated and her heirs recorded; a former worker is registered
with a past placement and joins a returnee programme; a worker who left outside the procedure is
recorded and later comes home; a candidate who withdrew joins a programme for prospective workers.
A worker due home is announced to reintegration, which invites her to the programmes for
returnees, and the desk sees her lapsed passport until its renewal is verified. Each step is on
the worker's timeline and in the export, and an agency granted the lifecycle but not the family
receives none of the family's data."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_hook

from gateway.roles import AGENCY
from gateway.testing import start_stack
from pmi_common import contract as c
from pmi_common.clock import Clock, FixedClock
from pmi_common.runner import service_class
from services.agencies.service import AgenciesService
from tests.helpers import district_today, wait_for, worker_payload
from tests.integration.test_agencies import agencies  # noqa: F401 - the fixture
from tests.integration.test_agency_delivery import drain_as

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
HUSBAND = {"full_name": "Budi Santoso", "relation": "spouse", "phone": "+6281355556666"}
PERSONAL = ("Sumini", "Budi Santoso", "+6281311112222", "+6281355556666", "Kademangan")
ACCOUNT = "left with a sponsor in 2025; her mother last heard from her in March"
GRANTED = [
    c.WORKER_REGISTERED,
    c.WORKER_STATUS_CHANGED,
    c.WORKER_DEPARTED,
    c.WORKER_RETURNED,
    c.WORKER_DIED,
]
PASSPORT_DAYS = 100  # the first passport lapses abroad after this many days


class Story:
    """The stack and the people at its desks."""

    def __init__(self, api, documents, clock, agency, agency_uri: str, rpc_config: dict):
        self.api, self.documents, self.clock = api, documents, clock
        self.rpc_config = rpc_config  # for a call no route makes: the periodic checks
        self.agency_uri, self.agency_queue = agency_uri, agency.queue
        self.operator = api.as_role("operator", "desk-1", agency="ltsa-blitar")
        self.intake = api.as_role("verifier", "desk-3", agency="ltsa-blitar")  # submits
        self.verifier = api.as_role("verifier", "desk-2", agency="ltsa-blitar")  # decides
        self.trainer = api.as_role("trainer", "opp-1", agency="disnaker-blitar")
        self.bpjs = api.as_role(AGENCY, "bpjs-1", agency=agency.name)
        self.scans = 0

    def document(self, kind: str, number: str, expires_in_days: int | None) -> dict:
        today = district_today()
        self.scans += 1  # a scan is one worker's: each document has its own
        content = f"%PDF-1.7\n% {kind} {number} {self.scans}\n".encode()
        return {
            "type": kind,
            "number": number,
            "issued_on": (today - dt.timedelta(days=30)).isoformat(),
            "expires_on": (today + dt.timedelta(days=expires_in_days)).isoformat()
            if expires_in_days
            else None,
            "file": {"content_base64": base64.b64encode(content).decode()},
        }

    def status_of(self, worker_id: str) -> str:
        return self.operator.get(f"/workers/{worker_id}").json()["status"]

    def wait_status(self, worker_id: str, status: str) -> None:
        wait_for(lambda: self.status_of(worker_id) == status, message=status)

    def timeline(self, worker_id: str) -> list[dict]:
        return self.operator.get(f"/workers/{worker_id}/timeline").json()

    def kinds(self, worker_id: str) -> list[str]:
        return [e["event_type"] for e in self.timeline(worker_id)]

    def wait_on_timeline(self, worker_id: str, *event_types: str) -> list[str]:
        wait_for(
            lambda: set(event_types) <= set(self.kinds(worker_id)),
            message=f"{event_types} on the timeline",
        )
        return self.kinds(worker_id)

    def export(self, worker_id: str) -> dict:
        exported = self.operator.get(f"/workers/{worker_id}/export").json()
        assert exported["unavailable"] == []
        return exported["services"]

    def submit(self, worker_id: str, kind: str, number: str, days: int | None) -> dict:
        path = f"/workers/{worker_id}/documents"
        body = self.document(kind, number, days)
        answer = wait_for(
            lambda: (r := self.intake.post(path, json=body)).status_code == 201 and r,
            message="the documents service knows the worker",
        )
        return answer.json()

    def verify(self, document_id: str) -> None:
        answer = self.verifier.post(f"/documents/{document_id}/verify", json={})
        assert answer.status_code == 200, answer.text

    def cleared(self, **overrides) -> dict:
        """A worker taken through the document desk, orientation and the BPJS number."""
        payload = worker_payload(**overrides)
        worker = self.operator.post("/workers", json=payload).json()
        worker_id = worker["id"]
        for kind in c.DOCUMENT_TYPES:
            days = PASSPORT_DAYS if kind == "passport" else 730
            expiring = kind in ("passport", "work_visa", "health_certificate")
            number = f"{kind[:3].upper()}{worker_id[:6]}"
            self.verify(self.submit(worker_id, kind, number, days if expiring else None)["id"])
        self.wait_status(worker_id, "documents_verified")
        starts_at = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
        session = self.trainer.post(
            "/orientation/sessions",
            json={"starts_at": starts_at, "location": "LTSA Blitar", "capacity": 20},
        ).json()
        sessions = f"/orientation/sessions/{session['id']}"
        wait_for(
            lambda: (
                self.trainer.post(
                    f"{sessions}/enrollments", json={"worker_id": worker_id}
                ).status_code
                == 201
            ),
            message="orientation knows the documents are verified",
        )
        attended = self.trainer.post(
            f"{sessions}/attendance", json={"worker_id": worker_id, "nik": payload["nik"]}
        )
        assert attended.status_code in (200, 201), attended.text
        self.wait_status(worker_id, "orientation_completed")
        self.operator.patch(f"/workers/{worker_id}", json={"bpjs_number": "12345678901"})
        self.wait_status(worker_id, "cleared_for_departure")
        return worker

    def depart(self, worker_id: str, country: str, employer: str, ends_in_days: int) -> dict:
        today = district_today()
        departed = self.operator.post(
            f"/workers/{worker_id}/departure",
            json={
                "departed_on": today.isoformat(),
                "destination_country": country,
                "employer": employer,
                "contract_ends_on": (today + dt.timedelta(days=ends_in_days)).isoformat(),
            },
        )
        assert departed.status_code == 200, departed.text
        self.documents_heard(worker_id, "departed")  # what it takes abroad depends on it
        return departed.json()

    def documents_heard(self, worker_id: str, status: str) -> None:
        """Until the documents desk has heard of the worker's ``status`` from registration's
        event, a moment after registration recorded it."""
        wait_for(
            lambda: self.export(worker_id)["documents"]["workers"][0]["status"] == status,
            message=f"the documents service heard the worker is {status}",
        )

    def programme(self, audience: str) -> dict:
        return self.trainer.post(
            "/reintegration/programs",
            json={
                "name": f"PAK CAMAT PMI ({audience})",
                "audience": audience,
                "capacity": 20,
                "starts_on": (district_today() + dt.timedelta(days=30)).isoformat(),
                "rounds": [{"name": "pitch", "advance": 5}],
            },
        ).json()

    def enrol(self, program: dict, worker_id: str) -> None:
        path = f"/reintegration/programs/{program['id']}/enrollments"
        wait_for(
            lambda: self.trainer.post(path, json={"worker_id": worker_id}).status_code == 201,
            message="reintegration knows the worker and enrols them",
        )

    def check_contracts_ending(self) -> int:
        """Registration's hourly check for contracts ending, run now."""
        with ClusterRpcProxy(self.rpc_config) as cluster:
            return cluster.registration.announce_contracts_ending()

    def expire_documents(self, days: int) -> None:
        """``days`` later, the documents service's expiry check."""
        self.clock.advance(days=days)
        with entrypoint_hook(self.documents, "expire_documents") as expire:
            expire()

    def agency_received(self, count_of: dict[str, int]) -> list[dict]:
        """What the agency's queue holds once ``count_of`` events of each type arrived."""
        received: list[dict] = []

        def arrived() -> bool:
            received.extend(drain_as(self.agency_uri, self.agency_queue))
            kinds = [e["event_type"] for e in received]
            return all(kinds.count(kind) >= n for kind, n in count_of.items())

        wait_for(arrived, message=f"the agency received {count_of}")
        return received


@pytest.fixture
def story(container_factory, config_for, agencies):  # noqa: F811
    clock = FixedClock(dt.datetime.now(dt.UTC))
    documents = container_factory(service_class(c.DOCUMENTS), config_for(c.DOCUMENTS))
    next(d for d in documents.dependencies if isinstance(d, Clock)).clock = clock
    documents.start()
    container_factory(
        AgenciesService,
        config_for("agencies", PSEUDONYM_KEY="story-test-pseudonym-key-0123456789abcdef"),
    ).start()
    agency = agencies.onboard("bpjs", GRANTED, fields=["worker_registered:full_name,sex"])
    api = start_stack(
        container_factory,
        config_for,
        services=tuple(name for name in c.SERVICES if name != c.DOCUMENTS),  # its own, above
    )
    return Story(api, documents, clock, agency, agencies.uri(agency), config_for(c.REGISTRATION))


def no_family_data(events: list[dict]) -> None:
    text = json.dumps(events)
    for personal in (*PERSONAL, ACCOUNT):
        assert personal not in text
    assert not {e["event_type"] for e in events} & {
        c.FAMILY_MEMBER_ADDED,
        c.FAMILY_MEMBER_CHANGED,
        c.FAMILY_MEMBER_REMOVED,
        c.NON_PROCEDURAL_WORKER_RECORDED,
    }


def test_a_worker_extends_changes_employer_renews_her_passport_abroad_and_comes_home(story):
    desk = story.operator
    worker = story.cleared(occupation="caregiver")
    path = f"/workers/{worker['id']}"
    desk.post(f"{path}/family", json=MOTHER)
    story.depart(worker["id"], "HK", "Mrs Chan", ends_in_days=60)
    extended = desk.post(
        f"{path}/contract/extension",
        json={"ends_on": (district_today() + dt.timedelta(days=425)).isoformat()},
    )
    changed = desk.post(
        f"{path}/employer-change",
        json={
            "employer": "Kowloon Garments Ltd",
            "changed_on": district_today().isoformat(),
            "reason": "the employer emigrated",
            "occupation": "sewing machine operator",
        },
    )
    assert extended.status_code == 200 and changed.status_code == 200, changed.text

    # abroad: a contract is not a document, and the passport lapses: a warning, not a way back
    refused = story.intake.post(
        f"{path}/documents", json=story.document("employment_contract", "PK-2", None)
    )
    assert refused.status_code == 409 and "passport or a work visa" in refused.text
    story.clock.advance(days=PASSPORT_DAYS + 2)
    with entrypoint_hook(story.documents, "expire_documents") as expire:
        expire()
    story.wait_on_timeline(worker["id"], c.DOCUMENT_EXPIRED, c.DOCUMENT_LAPSED_ABROAD)
    assert story.status_of(worker["id"]) == "departed"

    # renewed at the consulate: submitted with its scan by one, verified by another
    renewal = story.document("passport", "C7654321", 365 * 5)
    renewed = story.intake.post(f"{path}/documents", json=renewal).json()
    same_hand = story.intake.post(f"/documents/{renewed['id']}/verify", json={})
    assert same_hand.status_code == 403
    story.verify(renewed["id"])
    checklist = desk.get(f"{path}/documents").json()
    assert checklist["complete"] is True
    story.wait_on_timeline(worker["id"], c.DOCUMENT_VERIFIED)
    wait_for(
        lambda: story.kinds(worker["id"])[-1] == c.DOCUMENTS_COMPLETED,
        message="the renewal completes the set again",
    )

    back = desk.post(
        f"{path}/return",
        json={"returned_on": district_today().isoformat(), "reason": "contract_ended"},
    )
    assert back.status_code == 200 and back.json()["status"] == "returned", back.text

    kinds = story.kinds(worker["id"])
    abroad = kinds[kinds.index(c.WORKER_DEPARTED) :]
    assert abroad == [
        c.WORKER_DEPARTED,
        c.CONTRACT_RECORDED,
        c.WORKER_STATUS_CHANGED,
        c.CONTRACT_EXTENDED,
        c.EMPLOYER_CHANGED,
        c.DOCUMENT_EXPIRED,
        c.DOCUMENT_LAPSED_ABROAD,
        c.DOCUMENT_SUBMITTED,
        c.DOCUMENT_VERIFIED,
        c.DOCUMENTS_COMPLETED,
        c.WORKER_RETURNED,
        c.WORKER_STATUS_CHANGED,
    ]
    timeline = story.timeline(worker["id"])
    assert "Sumini" not in json.dumps(timeline)
    held = story.export(worker["id"])
    record = held["registration"]["workers"][0]
    assert (record["employer"], record["status"]) == ("Kowloon Garments Ltd", "returned")
    assert [m["full_name"] for m in held["registration"]["family_members"]] == ["Sumini"]
    passports = [d for d in held["documents"]["documents"] if d["document_type"] == "passport"]
    assert sorted(d["status"] for d in passports) == ["expired", "verified"]

    received = story.agency_received({c.WORKER_RETURNED: 1})
    assert [e["worker_id"] for e in received if e["event_type"] == c.WORKER_DEPARTED] == [
        worker["id"]
    ]
    assert c.DOCUMENT_LAPSED_ABROAD not in {e["event_type"] for e in received}
    no_family_data(received)


def test_a_worker_dies_abroad_her_remains_repatriated_and_her_heirs_recorded(story):
    desk = story.operator
    worker = story.cleared(occupation="housemaid")
    path = f"/workers/{worker['id']}"
    story.depart(worker["id"], "MY", "Ah Kow", ends_in_days=700)
    mother = desk.post(f"{path}/family", json=MOTHER).json()
    husband = desk.post(f"{path}/family", json=HUSBAND).json()
    arrive_on = district_today() + dt.timedelta(days=6)

    died = desk.post(
        f"{path}/death",
        json={
            "died_on": district_today().isoformat(),
            "country": "MY",
            "cause": "work_accident",
            "remains_repatriated": True,
            "remains_arrive_on": arrive_on.isoformat(),
            "heirs": [mother["id"], husband["id"]],
        },
    )
    assert died.status_code == 200, died.text
    assert died.json()["status"] == "deceased"
    story.documents_heard(worker["id"], "deceased")
    renewal = story.intake.post(
        f"{path}/documents", json=story.document("passport", "C1111111", 365 * 5)
    )
    assert renewal.status_code == 409  # nothing more is taken for a worker who died

    kinds = story.kinds(worker["id"])
    assert kinds[kinds.index(c.WORKER_DEPARTED) :] == [
        c.WORKER_DEPARTED,
        c.CONTRACT_RECORDED,
        c.WORKER_STATUS_CHANGED,
        c.FAMILY_MEMBER_ADDED,
        c.FAMILY_MEMBER_ADDED,
        c.WORKER_DIED,
        c.WORKER_STATUS_CHANGED,
    ]
    death = story.timeline(worker["id"])[-2]
    assert death["details"]["remains_repatriated"] is True
    assert {h["member_id"] for h in death["details"]["heirs"]} == {mother["id"], husband["id"]}
    for personal in PERSONAL:
        assert personal not in json.dumps(story.timeline(worker["id"]))
    record = story.export(worker["id"])["registration"]
    assert record["workers"][0]["remains_arrive_on"] == arrive_on.isoformat()
    assert sorted(record["workers"][0]["heirs"]) == sorted([mother["id"], husband["id"]])
    assert {m["full_name"] for m in record["family_members"]} == {"Sumini", "Budi Santoso"}

    # the social security agency learns of the death (for the benefit), not who the heirs are
    received = story.agency_received({c.WORKER_DIED: 1})
    [told] = [e for e in received if e["event_type"] == c.WORKER_DIED]
    assert told["worker_id"] == worker["id"]
    assert "heir_names" not in told["data"] and "cause" not in told["data"]
    no_family_data(received)
    read = story.bpjs.get(f"{path}/timeline")
    assert read.status_code == 200
    no_family_data(read.json())


def test_a_former_worker_a_non_procedural_worker_and_a_withdrawn_candidate_are_served(story):
    desk = story.operator
    # a former worker (mantan PMI): a returnee at once, in a programme for returnees
    payload = worker_payload(destination_country="MY", occupation="plantation worker")
    del payload["placement_agency"]
    former = desk.post(
        "/former-workers", json={**payload, "from_year": 2009, "to_year": 2015, "source": "family"}
    ).json()
    story.enrol(story.programme("returnee"), former["id"])
    story.wait_status(former["id"], "in_reintegration")

    # a worker who left outside the procedure, recorded from the family's account, comes home
    payload = worker_payload(destination_country="SA", occupation="housemaid")
    del payload["placement_agency"]
    recorded = desk.post(
        "/non-procedural-workers", json={**payload, "family_account": ACCOUNT, "source": "family"}
    ).json()
    assert (recorded["status"], recorded["non_procedural"]) == ("departed", True)
    desk.post(f"/workers/{recorded['id']}/family", json=HUSBAND)
    back = desk.post(
        f"/workers/{recorded['id']}/return",
        json={"returned_on": district_today().isoformat(), "reason": "repatriated"},
    )
    assert back.status_code == 200, back.text

    # a candidate who withdrew joins a programme for prospective workers, and stays withdrawn
    candidate = desk.post("/workers", json=worker_payload()).json()
    desk.post(f"/workers/{candidate['id']}/withdrawal", json={"reason": "family"})
    story.enrol(story.programme("prospective"), candidate["id"])

    assert story.wait_on_timeline(former["id"], c.REINTEGRATION_ENROLLED) == [
        c.WORKER_REGISTERED,
        c.WORKER_STATUS_CHANGED,
        c.FORMER_WORKER_REGISTERED,
        c.REINTEGRATION_ENROLLED,
        c.WORKER_STATUS_CHANGED,
    ]
    assert story.kinds(recorded["id"]) == [
        c.WORKER_REGISTERED,
        c.WORKER_STATUS_CHANGED,
        c.NON_PROCEDURAL_WORKER_RECORDED,
        c.FAMILY_MEMBER_ADDED,
        c.WORKER_RETURNED,
        c.WORKER_STATUS_CHANGED,
    ]
    assert story.wait_on_timeline(candidate["id"], c.REINTEGRATION_ENROLLED)[-1] == (
        c.REINTEGRATION_ENROLLED
    )
    assert story.status_of(candidate["id"]) == "withdrawn"

    held = story.export(former["id"])
    past = held["registration"]["workers"][0]["past_placement"]
    assert (past["from_year"], past["to_year"]) == (2009, 2015)
    assert [p["participant_kind"] for p in held["reintegration"]["participants"]] == ["returnee"]
    returned = story.export(recorded["id"])["registration"]["workers"][0]
    assert (returned["family_account"], returned["return_reason"]) == (ACCOUNT, "repatriated")
    assert ACCOUNT not in json.dumps(story.timeline(recorded["id"]))

    received = story.agency_received({c.WORKER_RETURNED: 1, c.WORKER_REGISTERED: 3})
    assert {e["worker_id"] for e in received} == {former["id"], recorded["id"], candidate["id"]}
    no_family_data(received)


def test_a_worker_due_home_is_invited_and_her_passport_lapsed_abroad_is_on_the_desks_list(story):
    desk, trainer = story.operator, story.trainer
    for_returnees = story.programme("returnee")  # starts in 30 days
    worker = story.cleared(occupation="caregiver")
    path = f"/workers/{worker['id']}"
    story.depart(worker["id"], "TW", "Mr Lin", ends_in_days=20)
    ends_on = (district_today() + dt.timedelta(days=20)).isoformat()

    # registration's check: due home within 60 days, announced once for that end date
    assert story.check_contracts_ending() >= 1
    story.check_contracts_ending()
    story.wait_on_timeline(worker["id"], c.CONTRACT_ENDING)
    endings = [e for e in story.timeline(worker["id"]) if e["event_type"] == c.CONTRACT_ENDING]
    assert [(e["details"]["ends_on"], e["details"]["days_left"]) for e in endings] == [
        (ends_on, 20)
    ]

    # reintegration reaches out: the programmes for returnees open once she is home, with a note
    def invited() -> dict:
        return trainer.get(f"{path}/invitations").json()

    wait_for(lambda: invited()["due_home_on"] == ends_on, message="reintegration heard")
    invitations = invited()
    assert invitations["kind"] is None and ends_on in invitations["note"]
    assert invitations["note"].startswith("Kontrak kerja berakhir")
    assert for_returnees["id"] in [p["id"] for p in invitations["programs"]]
    assert story.api.as_role("worker", worker["id"]).get(f"{path}/invitations").json() == (
        invitations
    )

    # extended: a new date, announced again when the check comes
    new_end = (district_today() + dt.timedelta(days=45)).isoformat()
    desk.post(f"{path}/contract/extension", json={"ends_on": new_end})
    story.check_contracts_ending()
    wait_for(lambda: invited()["due_home_on"] == new_end, message="the extension heard")
    kinds = story.kinds(worker["id"])
    assert kinds.count(c.CONTRACT_ENDING) == 2 and kinds[-1] == c.CONTRACT_ENDING

    # the passport lapses abroad: on the desk's list, for the verifiers and the operators
    story.expire_documents(days=PASSPORT_DAYS + 2)
    story.wait_on_timeline(worker["id"], c.DOCUMENT_LAPSED_ABROAD)

    def lapsed(caller) -> list[dict]:
        answer = caller.get("/documents/lapsed-abroad", params={"limit": 200})
        assert answer.status_code == 200, answer.text
        return [d for d in answer.json()["items"] if d["worker_id"] == worker["id"]]

    [passport] = lapsed(story.verifier)
    assert passport["type"] == "passport" and lapsed(desk) == [passport]
    assert trainer.get("/documents/lapsed-abroad").status_code == 403
    assert story.bpjs.get("/documents/lapsed-abroad").status_code == 403

    renewed = story.submit(worker["id"], "passport", "C7654321", 365 * 5)
    assert lapsed(story.verifier) == [passport]  # a renewal waiting is not one verified
    story.verify(renewed["id"])
    assert lapsed(story.verifier) == []

    # home: an agency granted the lifecycle, not contract_ending, received the return only
    back = desk.post(
        f"{path}/return",
        json={"returned_on": district_today().isoformat(), "reason": "contract_ended"},
    )
    assert back.status_code == 200, back.text
    wait_for(lambda: invited()["kind"] == "returnee", message="reintegration heard the return")
    assert invited()["due_home_on"] is None
    received = story.agency_received({c.WORKER_RETURNED: 1})
    assert c.CONTRACT_ENDING not in {e["event_type"] for e in received}
