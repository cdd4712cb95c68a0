"""The worker's own routes of her app, through the gateway on the real broker and databases: the
sessions to come and enrolling herself (refused until her documents are verified), her ticket's
QR read at check-in and the certificate that follows (and the public page its check link
opens: valid, the date and her initials only), a problem she reports, which her family
follows with its number and code, the programmes open to her after return and applying to one,
and her choices of messages; no other worker reaches hers."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
import requests
import segno

from gateway.testing import start_stack
from pmi_common import contract as c
from pmi_common.clock import district_date
from tests.helpers import district_today, wait_for, worker_payload

OTHER = "00000000-0000-4000-8000-000000000001"


@pytest.fixture
def api(container_factory, config_for):
    return start_stack(
        container_factory,
        config_for,
        services=(
            c.REGISTRATION,
            c.DOCUMENTS,
            c.ORIENTATION,
            c.PROTECTION,
            c.REINTEGRATION,
            c.NOTIFICATIONS,
        ),
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


def documents_verified(api, worker_id: str) -> None:
    """Every document of hers submitted at the desk and verified by another officer."""
    intake, verifier = api.as_role("verifier", "desk-3"), api.as_role("verifier", "desk-2")
    today = district_today()
    for kind in c.DOCUMENT_TYPES:
        content = f"%PDF-1.7\n% {kind} of {worker_id}\n".encode()
        body = {
            "type": kind,
            "number": f"{kind[:3].upper()}{worker_id[:6]}",
            "issued_on": (today - dt.timedelta(days=30)).isoformat(),
            "expires_on": (today + dt.timedelta(days=700)).isoformat()
            if kind in ("passport", "work_visa", "health_certificate")
            else None,
            "file": {"content_base64": base64.b64encode(content).decode()},
        }
        path = f"/workers/{worker_id}/documents"
        sent = wait_for(
            lambda body=body, path=path: (
                (r := intake.post(path, json=body)).status_code == 201 and r
            ),
            message="the documents service knows the worker",
        )
        verified = verifier.post(f"/documents/{sent.json()['id']}/verify", json={})
        assert verified.status_code == 200, verified.text


def qr_of(ticket: str) -> bytes:
    out = io.BytesIO()
    segno.make_qr(ticket, error="q").save(
        out, kind="svg", scale=8, border=4, dark="#000", light="#fff", xmldecl=False
    )
    return out.getvalue()


def test_her_tickets_qr_is_read_at_check_in_and_her_certificate_follows(api):
    desk, trainer = api.as_role("operator", "desk-1"), api.as_role("trainer", "opp-1")
    payload = worker_payload()
    worker = desk.post("/workers", json=payload).json()
    mine = f"/workers/{worker['id']}/orientation"
    siti = api.as_role("worker", worker["id"])
    assert siti.get(mine).json() == {"worker_id": worker["id"], "seat": None, "certificate": None}
    assert siti.get(f"{mine}/ticket").status_code == 404
    documents_verified(api, worker["id"])
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).replace(microsecond=0)
    session = trainer.post(
        "/orientation/sessions",
        json={"starts_at": starts.isoformat(), "location": "Aula LTSA Blitar", "capacity": 5},
    ).json()
    seat = f"{mine}/sessions/{session['id']}/enrollment"
    taken = wait_for(
        lambda: (r := siti.post(seat)).status_code == 201 and r,
        message="orientation knows her documents are verified",
    )
    ticket = taken.json()["ticket"]
    shown = siti.get(mine).json()
    assert shown["seat"]["ticket"] == ticket and shown["certificate"] is None
    assert shown["seat"]["session"]["location"] == "Aula LTSA Blitar"

    qr = siti.get(f"{mine}/ticket")
    assert qr.status_code == 200, qr.text
    assert qr.headers["Content-Type"].startswith("image/svg+xml")
    assert qr.headers["Cache-Control"] == "private, no-store"
    assert f"QR tiket {ticket}".encode() in qr.content  # its title; its modules: the code alone
    drawn = qr.content.split(b"</title>", 1)[1]
    assert drawn == qr_of(ticket).split(b">", 1)[1]
    for personal in (payload["nik"], "Siti", worker["id"]):
        assert personal.encode() not in qr.content
    assert api.as_role("worker", OTHER).get(f"{mine}/ticket").status_code == 403

    check_in = f"/orientation/sessions/{session['id']}/attendance"
    wrong = trainer.post(check_in, json={"ticket": "T-00000-00000", "nik": payload["nik"]})
    assert wrong.status_code == 409, wrong.text
    both = trainer.post(
        check_in, json={"ticket": ticket, "worker_id": worker["id"], "nik": payload["nik"]}
    )
    assert both.status_code == 422, both.text
    attended = trainer.post(check_in, json={"ticket": ticket, "nik": payload["nik"]})
    assert attended.status_code == 200, attended.text
    number = attended.json()["certificate_number"]

    earned = siti.get(mine).json()
    assert earned["seat"] is None
    assert earned["certificate"]["certificate_number"] == number
    assert earned["certificate"]["completed_at"] == attended.json()["completed_at"]
    assert earned["certificate"]["session"]["location"] == "Aula LTSA Blitar"
    assert siti.get(f"{mine}/ticket").status_code == 404
    assert api.anonymous().get(f"/certificates/{number}").json()["valid"] is True

    # the page her certificate's check link opens, for anyone: valid, its date, her initials
    page = requests.get(f"http://{api.address}/verify/certificate/{number}", timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "SAH" in page.text and number in page.text and "S. N. A." in page.text
    completed = dt.datetime.fromisoformat(attended.json()["completed_at"])
    assert district_date(completed).isoformat() in page.text
    for personal in (payload["nik"], "Siti", payload["full_name"], worker["id"]):
        assert personal not in page.text
    unknown = requests.get(
        f"http://{api.address}/verify/certificate/OPP-2026-0000000000", timeout=30
    )
    assert unknown.status_code == 200 and "TIDAK DIKENAL" in unknown.text
    assert "SAH" not in unknown.text


def test_after_return_she_applies_to_a_programme_open_to_her(api):
    desk, trainer = api.as_role("operator", "desk-1"), api.as_role("trainer", "opp-1")
    payload = worker_payload(destination_country="MY", occupation="plantation worker")
    del payload["placement_agency"]
    former = desk.post(
        "/former-workers", json={**payload, "from_year": 2009, "to_year": 2015, "source": "family"}
    ).json()
    programme = trainer.post(
        "/reintegration/programs",
        json={
            "name": "PAK CAMAT PMI",
            "audience": "returnee",
            "capacity": 10,
            "starts_on": district_today().isoformat(),
            "rounds": [{"name": "business model canvas", "advance": 5}],
        },
    ).json()
    siti = api.as_role("worker", former["id"])
    invited = f"/workers/{former['id']}/invitations"

    def open_to_her():
        answer = siti.get(invited)
        found = answer.json()["programs"] if answer.status_code == 200 else []
        return [p for p in found if p["id"] == programme["id"]]

    wait_for(open_to_her, message="reintegration knows the returnee")
    apply = f"/workers/{former['id']}/reintegration/programs/{programme['id']}/enrollment"
    assert api.as_role("worker", OTHER).post(apply).status_code == 403
    joined = siti.post(apply)
    assert joined.status_code == 201, joined.text
    assert (joined.json()["worker_id"], joined.json()["participant_kind"]) == (
        former["id"],
        "returnee",
    )
    assert open_to_her() == []
    again = siti.post(apply)
    assert again.status_code == 409, again.text


def test_she_chooses_her_channel_language_and_reminders(api):
    desk = api.as_role("operator", "desk-1")
    worker = desk.post("/workers", json=worker_payload()).json()
    siti = api.as_role("worker", worker["id"])
    path = f"/workers/{worker['id']}/notification-choices"
    kept = wait_for(
        lambda: (r := siti.get(path)).status_code == 200 and r.json(),
        message="the notifications service knows her",
    )
    assert (kept["channel"], kept["language"], kept["consent"]) == ("sms", "id", True)
    changed = siti.patch(path, json={"channel": "whatsapp", "language": "en", "consent": False})
    assert changed.status_code == 200, changed.text
    again = siti.get(path).json()
    assert (again["channel"], again["language"], again["consent"]) == ("whatsapp", "en", False)
    assert api.as_role("worker", OTHER).get(path).status_code == 403


def test_the_apps_files_cross_the_network_compressed_and_only_when_changed(api):
    """On a slow signal every byte and round trip counts: the page's files are sent with gzip
    to a browser that accepts it, and a copy the phone holds is answered 304 without the file."""
    script_url = f"http://{api.address}/app/app.js"
    plain = requests.get(script_url, headers={"Accept-Encoding": "identity"}, timeout=30)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    script = requests.get(script_url, headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert script.headers["Content-Encoding"] == "gzip"
    assert script.headers["Vary"] == "Accept-Encoding"
    assert script.content == plain.content  # as the browser reads it
    assert int(script.headers["Content-Length"]) < len(plain.content) / 2
    assert script.headers["ETag"] != plain.headers["ETag"]  # one per form sent

    held = requests.get(script_url, headers={"If-None-Match": script.headers["ETag"]}, timeout=30)
    assert held.status_code == 304 and held.content == b""
    other = requests.get(script_url, headers={"If-None-Match": '"an-older-copy"'}, timeout=30)
    assert other.status_code == 200 and other.content == plain.content
    page = requests.get(f"http://{api.address}/app", timeout=30)
    assert page.headers["Content-Encoding"] == "gzip" and b"PMI Saya" in page.content
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
