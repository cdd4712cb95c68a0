"""Go-TKI letters through the gateway, on the real broker and databases: a family permission
acknowledged by the worker's own village and hidden from another village's office; a passport
recommendation refused before it and issued after it, its PDF signed so that pyHanko's validator
finds it intact; the public check says valid, then revoked, on the page a QR code opens too; the
letters on the worker's timeline; twenty letters issued at once take twenty consecutive
numbers."""

from __future__ import annotations

import base64
import io
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from gateway.testing import start_stack
from pmi_common import contract as c
from tests.conftest import office_certificate
from tests.helpers import district_today, wait_for, worker_payload

KADEMANGAN, SANANKULON = "35.05.12.2001", "35.05.13.2004"
AT_ONCE = 20  # letters issued at once
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
def api(container_factory, config_for):
    return start_stack(container_factory, config_for, services=(c.REGISTRATION, c.LETTERS))


def registered_with_mother(desk) -> tuple[dict, dict]:
    worker = desk.post("/workers", json=worker_payload())
    assert worker.status_code == 201, worker.text
    mother = desk.post(f"/workers/{worker.json()['id']}/family", json=MOTHER)
    assert mother.status_code == 201, mother.text
    return worker.json(), mother.json()


def acknowledged_permission(desk, village, worker, mother) -> dict:
    asked = desk.post(
        f"/workers/{worker['id']}/letters",
        json={"letter_type": "family_permission", "village_code": KADEMANGAN},
    )
    assert asked.status_code == 201, asked.text
    decided = village.post(
        f"/letters/{asked.json()['id']}/acknowledgement",
        json={
            "decision": "acknowledged",
            "family_member_id": mother["id"],
            "given_on": district_today().isoformat(),
        },
    )
    assert decided.status_code == 200, decided.text
    return decided.json()


def signature_of(pdf: bytes):
    with open(office_certificate()["LETTER_SIGNING_CERT_FILE"], "rb") as kept:
        context = ValidationContext(trust_roots=list(load_certs_from_pemder_data(kept.read())))
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    return validate_pdf_signature(signature, context)


def test_a_passport_recommendation_waits_for_the_family_permission_of_her_own_village(api):
    desk = api.as_role("operator", "desk-1")
    village = api.as_role("village", "kades-kademangan", village=KADEMANGAN)
    elsewhere = api.as_role("village", "kades-sanankulon", village=SANANKULON)
    worker, mother = registered_with_mother(desk)

    early = desk.post(
        f"/workers/{worker['id']}/letters", json={"letter_type": "passport_recommendation"}
    )
    assert early.status_code == 409, early.text
    assert early.json()["detail"].startswith("Surat rekomendasi paspor belum dapat diproses")
    assert [m["code"] for m in early.json()["details"]["missing"]] == [
        "family_permission_acknowledged"
    ]

    own = api.as_role("worker", worker["id"]).post(
        f"/workers/{worker['id']}/letters",
        json={"letter_type": "family_permission", "village_code": KADEMANGAN},
    )
    assert own.status_code == 201, own.text
    permission = own.json()
    assert (permission["status"], permission["requested_role"]) == ("requested", "worker")

    assert elsewhere.get("/letters", params={"status": "requested"}).json()["items"] == []
    assert elsewhere.get(f"/letters/{permission['id']}").status_code == 404
    refused = elsewhere.post(
        f"/letters/{permission['id']}/acknowledgement",
        json={
            "decision": "acknowledged",
            "family_member_id": mother["id"],
            "given_on": "2026-01-02",
        },
    )
    assert refused.status_code == 404, refused.text
    assert desk.post(f"/letters/{permission['id']}/acknowledgement", json={}).status_code == 403

    waiting = village.get("/letters", params={"status": "requested"}).json()["items"]
    assert [x["id"] for x in waiting] == [permission["id"]]
    shown = village.get(f"/letters/{permission['id']}").json()
    assert shown["permission_givers"] == [
        {"id": mother["id"], "full_name": "Sumini", "relation": "parent"}
    ]
    decided = village.post(
        f"/letters/{permission['id']}/acknowledgement",
        json={
            "decision": "acknowledged",
            "family_member_id": mother["id"],
            "given_on": district_today().isoformat(),
        },
    )
    assert decided.status_code == 200, decided.text
    assert (decided.json()["status"], decided.json()["permission_giver_relation"]) == (
        "acknowledged",
        "parent",
    )

    asked = desk.post(
        f"/workers/{worker['id']}/letters", json={"letter_type": "passport_recommendation"}
    )
    assert asked.status_code == 201, asked.text
    issued = desk.post(f"/letters/{asked.json()['id']}/issue")
    assert issued.status_code == 200, issued.text
    letter = issued.json()
    year = district_today().year
    assert letter["number"] == f"560/1/RP/409.112/{year}"

    pdf = desk.get(f"/letters/{letter['id']}/pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    status = signature_of(pdf.content)
    assert (status.intact, status.valid, status.trusted) == (True, True, True)
    assert status.coverage.name == "ENTIRE_FILE"

    anyone = api.anonymous()
    code = letter["verification_code"]
    valid = anyone.get(f"/public/letters/{code}").json()
    assert (valid["status"], valid["number"], valid["worker_initials"]) == (
        "valid",
        letter["number"],
        "S. N. A.",
    )
    page_url = f"http://{api.address}/verify/{code}"
    page = requests.get(page_url, timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "SAH" in page.text and letter["number"] in page.text
    assert "Siti" not in page.text  # the initials only

    revoked = desk.post(f"/letters/{letter['id']}/revocation", json={"reason": "data keliru"})
    assert revoked.status_code == 200, revoked.text
    now_revoked = anyone.get(f"/public/letters/{code}").json()
    assert now_revoked["status"] == "revoked" and now_revoked["revoked_at"]
    assert "DICABUT" in requests.get(page_url, timeout=30).text
    unknown = anyone.get("/public/letters/ZZZZZZZZZZZZ").json()
    assert unknown["status"] == "unknown" and set(unknown) == set(now_revoked)

    def on_timeline():
        entries = desk.get(f"/workers/{worker['id']}/timeline").json()
        letters = [e for e in entries if e["event_type"].startswith("letter_")]
        return letters if len(letters) == 5 else None

    entries = wait_for(on_timeline, message="the letters on the worker's timeline")
    exported = desk.get(f"/workers/{worker['id']}/export").json()["services"][c.LETTERS]
    kept = {row["id"]: row for row in exported["letters"]}
    assert kept[letter["id"]]["number"] == letter["number"]
    assert kept[letter["id"]]["pdf"]["sha256"] == letter["pdf_sha256"]  # the file by its digest
    issued_entry = next(e for e in entries if e["event_type"] == c.LETTER_ISSUED)
    assert issued_entry["details"] == {
        "letter_id": letter["id"],
        "letter_type": "passport_recommendation",
        "status": "issued",
        "number": letter["number"],
    }


def test_she_downloads_her_own_issued_letter_from_her_app_and_no_one_elses(api):
    desk = api.as_role("operator", "desk-1")
    village = api.as_role("village", "kades-kademangan", village=KADEMANGAN)
    worker, mother = registered_with_mother(desk)
    other, other_mother = registered_with_mother(desk)
    letter = acknowledged_permission(desk, village, worker, mother)
    siti = api.as_role("worker", worker["id"])
    path = f"/workers/{worker['id']}/letters/{letter['id']}/pdf"
    waiting = siti.get(path)
    assert waiting.status_code == 404, waiting.text  # not issued yet
    assert desk.post(f"/letters/{letter['id']}/issue").status_code == 200

    pdf = siti.get(path)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    assert pdf.headers["Cache-Control"] == "private, no-store"
    assert pdf.content == desk.get(f"/letters/{letter['id']}/pdf").content
    assert signature_of(pdf.content).valid

    theirs = acknowledged_permission(desk, village, other, other_mother)
    assert desk.post(f"/letters/{theirs['id']}/issue").status_code == 200
    assert siti.get(f"/workers/{worker['id']}/letters/{theirs['id']}/pdf").status_code == 404
    assert siti.get(f"/workers/{other['id']}/letters/{theirs['id']}/pdf").status_code == 403
    assert siti.get(f"/letters/{letter['id']}/pdf").status_code == 403


def test_twenty_letters_issued_at_once_take_twenty_consecutive_numbers(
    container_factory, config_for
):
    """Twenty issues of one type at once, each waiting on the year's counter: consecutive
    numbers, none twice, none skipped. Each letter is signed as it is issued (a sixth of a second
    of one core) while the counter is held, so the twentieth waits for nineteen signatures: the
    gateway waits for the letters service as long as that takes on a busy machine (RPC_TIMEOUT),
    the property here being the numbers, not the time."""
    api = start_stack(
        container_factory,
        config_for,
        services=(c.REGISTRATION, c.LETTERS),
        RPC_TIMEOUT=120,
    )
    desk = api.as_role("operator", "desk-2")
    village = api.as_role("village", "kades-kademangan", village=KADEMANGAN)
    ids = []
    for _ in range(AT_ONCE):
        worker, mother = registered_with_mother(desk)
        ids.append(acknowledged_permission(desk, village, worker, mother)["id"])

    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        answers = list(pool.map(lambda i: desk.post(f"/letters/{i}/issue", timeout=150), ids))
    assert [a.status_code for a in answers] == [200] * AT_ONCE, [a.text for a in answers]
    year = district_today().year
    numbers = sorted(a.json()["number"] for a in answers)
    assert numbers == sorted(f"560/{n}/IK/409.112/{year}" for n in range(1, AT_ONCE + 1))


def test_offline_the_printed_form_scanned_and_confirmed_by_a_second_officer(api):
    desk, second = api.as_role("operator", "desk-1"), api.as_role("operator", "desk-2")
    worker, mother = registered_with_mother(desk)
    asked = desk.post(
        f"/workers/{worker['id']}/letters",
        json={"letter_type": "family_permission", "village_code": KADEMANGAN},
    ).json()

    form = desk.get(f"/letters/{asked['id']}/form")
    assert form.status_code == 200 and form.headers["Content-Type"] == "application/pdf"
    assert form.content.startswith(b"%PDF")

    scan = {
        "content_base64": base64.b64encode(form.content).decode(),  # as if signed and scanned
        "family_member_id": mother["id"],
        "given_on": district_today().isoformat(),
    }
    uploaded = desk.post(f"/letters/{asked['id']}/form", json=scan)
    assert uploaded.status_code == 200, uploaded.text
    assert (uploaded.json()["status"], uploaded.json()["form_uploaded_by"]) == (
        "requested",
        "desk-1",
    )
    kept = second.get(f"/letters/{asked['id']}/form/scan")
    assert (kept.status_code, kept.content) == (200, form.content)

    # the second officer cannot read the village's stamp: refused, saying why, and scanned again
    own_refusal = desk.post(f"/letters/{asked['id']}/form/refusal", json={"reason": "buram"})
    assert own_refusal.status_code == 403 and "four eyes" in own_refusal.json()["detail"]
    refused = second.post(
        f"/letters/{asked['id']}/form/refusal", json={"reason": "stempel desa tidak terbaca"}
    )
    assert refused.status_code == 200, refused.text
    after = refused.json()
    assert (after["status"], after["form_refusal_reason"], after["form_refused_by"]) == (
        "requested",
        "stempel desa tidak terbaca",
        "desk-2",
    )
    assert after["form_uploaded_at"] is None and after["permission_giver_id"] is None
    assert second.get(f"/letters/{asked['id']}/form/scan").status_code == 404
    assert second.post(f"/letters/{asked['id']}/form/confirmation").status_code == 409
    uploaded = desk.post(f"/letters/{asked['id']}/form", json=scan)
    assert uploaded.status_code == 200, uploaded.text
    own_check = desk.post(f"/letters/{asked['id']}/form/confirmation")
    assert own_check.status_code == 403 and "four eyes" in own_check.json()["detail"]

    confirmed = second.post(f"/letters/{asked['id']}/form/confirmation")
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["status"], confirmed.json()["decided_by"]) == (
        "acknowledged",
        "desk-2",
    )
    passport = desk.post(
        f"/workers/{worker['id']}/letters", json={"letter_type": "passport_recommendation"}
    )
    assert passport.status_code == 201, passport.text


def test_a_family_permission_goes_to_the_village_code_on_the_workers_address(api):
    desk = api.as_role("operator", "desk-1")
    payload = worker_payload()
    payload["address"] = {**payload["address"], "village_code": SANANKULON}
    worker = desk.post("/workers", json=payload)
    assert worker.status_code == 201, worker.text
    assert worker.json()["address"]["village_code"] == SANANKULON
    wrong = desk.post(
        "/workers", json={**payload, "address": {**payload["address"], "village_code": "3505"}}
    )
    assert wrong.status_code == 422 and "village_code" in wrong.text
    mother = desk.post(f"/workers/{worker.json()['id']}/family", json=MOTHER)
    assert mother.status_code == 201, mother.text

    asked = desk.post(
        f"/workers/{worker.json()['id']}/letters", json={"letter_type": "family_permission"}
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["village_code"] == SANANKULON
    theirs = api.as_role("village", "kades-sanankulon", village=SANANKULON)
    ours = api.as_role("village", "kades-kademangan", village=KADEMANGAN)
    assert theirs.get(f"/letters/{asked.json()['id']}").status_code == 200
    assert ours.get(f"/letters/{asked.json()['id']}").status_code == 404
