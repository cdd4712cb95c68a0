"""The worker's export holds every part of what the platform keeps about her, through the gateway
on the test broker and PostgreSQL: her document's scan (linked, downloadable, checked by its
digest), the answers to her keyed commands, the events each service received about her with
their payloads, and what is deliberately left out with the reason; and the gateway's idempotency
store and the registration service's kept answers hold no NIK in clear after a keyed
registration."""

import base64
import datetime as dt
import hashlib

import pytest
from sqlalchemy import create_engine, text

from gateway.testing import start_stack
from pmi_common.contract import DOCUMENTS, GATEWAY, ORIENTATION, REGISTRATION, REINTEGRATION
from tests.helpers import wait_for, worker_payload

SCAN = b"%PDF-1.7\n% her passport, photo page\n"


@pytest.fixture
def api(container_factory, config_for):
    return start_stack(container_factory, config_for)


def passport() -> dict:
    today = dt.date.today()
    return {
        "type": "passport",
        "number": "X7654321",
        "issued_on": (today - dt.timedelta(days=30)).isoformat(),
        "expires_on": (today + dt.timedelta(days=730)).isoformat(),
        "file": {"content_base64": base64.b64encode(SCAN).decode()},
    }


def kept_rows(url: str) -> str:
    """Every row of the gateway's idempotency store, every column, as one text."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM idempotency_keys")).mappings().all()
    engine.dispose()
    return " ".join(f"{name}={_text(value)}" for row in rows for name, value in row.items())


def _text(value) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("latin-1")
    return repr(value)


def test_a_worker_finds_her_scan_her_keyed_commands_and_the_events_received_about_her(
    api, database_urls
):
    desk = api.as_role("operator", "desk-1")
    payload = worker_payload()
    registered = desk.post("/workers", json=payload, headers={"Idempotency-Key": "reg-siti"})
    assert registered.status_code == 201, registered.text
    worker_id = registered.json()["id"]
    herself = api.as_role("worker", worker_id)
    wait_for(
        lambda: herself.get(f"/workers/{worker_id}/documents").status_code == 200,
        message="the documents service learnt of her registration",
    )
    submitted = herself.post(
        f"/workers/{worker_id}/documents", json=passport(), headers={"Idempotency-Key": "pass-1"}
    )
    assert submitted.status_code == 201, submitted.text
    document_id = submitted.json()["id"]

    def exported():
        answer = herself.get(f"/workers/{worker_id}/export")
        assert answer.status_code == 200, answer.text
        record = answer.json()
        services = record["services"]
        received = {
            name: services[name].get("inbox", [])
            for name in (DOCUMENTS, ORIENTATION, REINTEGRATION)
        }
        return all(received.values()) and record

    export = wait_for(exported, message="every service received her registration")

    assert export["unavailable"] == []
    services = export["services"]
    # the scan: listed with its digest, and downloadable by her with the link
    [scan] = export["scans"]
    assert scan["document_id"] == document_id and scan["sha256"] == hashlib.sha256(SCAN).hexdigest()
    assert [row["sha256"] for row in services[DOCUMENTS]["document_files"]] == [scan["sha256"]]
    download = herself.get(scan["download"].removeprefix("/api/v1"))
    assert download.status_code == 200 and download.content == SCAN
    assert download.headers["Content-Type"] == "application/pdf"
    assert hashlib.sha256(download.content).hexdigest() == scan["sha256"]
    # the answers to the keyed commands, as each service keeps them for a retry
    [registration_answer] = services[REGISTRATION]["command_answers"]
    assert registration_answer["answer"]["nik"] == payload["nik"]
    assert [a["answer"]["id"] for a in services[DOCUMENTS]["command_answers"]] == [document_id]
    # her own keyed write as the gateway keeps it: digests, no answer
    [own_key] = services[GATEWAY]["idempotency_keys"]
    assert own_key["key"] == "pass-1" and own_key["status"] == 201 and "sealed" not in own_key
    # the events each service received about her, with the event as it was published
    for name in (DOCUMENTS, ORIENTATION, REINTEGRATION):
        rows = services[name]["inbox"]
        registered_event = next(r for r in rows if r["event_type"] == "worker_registered")
        assert registered_event["payload"]["worker_id"] == worker_id
        assert registered_event["payload"]["event_id"] == registered_event["event_id"]
        assert registered_event["source"] == REGISTRATION
    # what is left out, with the reason
    assert {"what", "why"} == set(export["not_exported"][0])
    assert any("broker" in entry["what"] for entry in export["not_exported"])


def test_a_scan_is_downloaded_only_by_its_worker_and_the_desks(api):
    desk = api.as_role("operator", "desk-1")
    her_id = desk.post("/workers", json=worker_payload()).json()["id"]
    other_id = desk.post("/workers", json=worker_payload()).json()["id"]
    herself = api.as_role("worker", her_id)
    document_id = wait_for(
        lambda: (
            (r := herself.post(f"/workers/{her_id}/documents", json=passport())).status_code == 201
            and r.json()["id"]
        ),
        message="the documents service learnt of her registration",
    )
    path = f"/workers/{her_id}/documents/{document_id}/file"

    assert api.as_role("verifier").get(path).content == SCAN
    assert api.as_role("worker", other_id).get(path).status_code == 403
    assert api.as_role("trainer").get(path).status_code == 403
    assert api.as_role("agency", agency="bpjs").get(path).status_code == 403
    # her document named under another worker's path is as unknown
    assert desk.get(f"/workers/{other_id}/documents/{document_id}/file").status_code == 404


def test_the_idempotency_store_holds_no_nik_in_clear_after_a_keyed_registration(api, database_urls):
    desk = api.as_role("operator", "desk-1")
    payload = worker_payload()
    key = {"Idempotency-Key": "register-siti-sealed"}

    first = desk.post("/workers", json=payload, headers=key)
    again = desk.post("/workers", json=payload, headers=key)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.json()["nik"] == payload["nik"]
    assert again.headers["Idempotent-Replayed"] == "true"
    kept = kept_rows(database_urls["gateway"])
    assert "register-siti-sealed" in kept  # the row is there
    assert payload["nik"] not in kept and payload["full_name"] not in kept
    assert first.json()["id"] not in kept  # the Location header is sealed too
    # and the registration service's own record of the answer, kept for a retry that reaches it
    answers = kept_answers_of(database_urls[REGISTRATION])
    assert len(answers) == 1 and '"sealed"' in answers[0]
    assert payload["nik"] not in answers[0] and payload["full_name"] not in answers[0]
    assert first.json()["id"] not in answers[0]


def kept_answers_of(url: str) -> list[str]:
    """The answers a service keeps for keyed commands, as the rows hold them."""
    engine = create_engine(url)
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT answer::text FROM command_answers")).scalars().all()
    engine.dispose()
    return list(kept)
