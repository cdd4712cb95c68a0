"""Referrals to bodies outside the platform, through the gateway on the real broker and
PostgreSQL, with a real SMTP server (aiosmtpd) on loopback: a family reports at the desk that
their daughter in Hong Kong has lost contact; the caseworker refers the case to the consulate,
whose address the district's directory holds; the letter (a PDF naming the case, the worker with
her NIK masked, and the summary the caseworker confirmed) reaches the consulate's mailbox and the
mail is a step on the referral's thread; the caseworker prints the same letter, and records the
consulate's answer, which the case and the console list with the referral. A sensitive case
referred to the police, whose address the directory also holds, is never mailed: its letter is
printed."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from gateway.testing import start_stack
from pmi_common import contract as c
from pmi_common.runner import service_class
from tests.helpers import pdf_text, wait_for, worker_payload
from tests.integration.test_gateway_protection import MOTHER, filing
from tests.mailserver import MailServer

KJRI, POLRES = "pelindungan@kjri-hk.test", "spkt@polres-blitar.test"
DIRECTORY = [
    {"kind": "embassy", "country": "HK", "email": KJRI},
    {"kind": "police", "name": "Polres Blitar", "email": POLRES},
]
CONFIRMED = "Pekerja tidak dapat dihubungi sejak enam minggu; mohon bantuan pelacakan"


@pytest.fixture
def mailbox(tmp_path):
    server = MailServer(tmp_path / "mail").start()
    yield server
    server.stop()


@pytest.fixture
def api(container_factory, config_for, mailbox):
    return desk_mailing_to(container_factory, config_for, mailbox)


def desk_mailing_to(container_factory, config_for, mailbox: MailServer):
    """Registration, protection mailing its letters to ``mailbox``, and the gateway."""
    container_factory(service_class(c.REGISTRATION), config_for(c.REGISTRATION)).start()
    protection = config_for(
        c.PROTECTION,
        SMTP_URL=mailbox.url,
        REFERRAL_DIRECTORY=json.dumps(DIRECTORY),
        REFERRAL_FROM="pengaduan@disnaker-blitar.test",
        REFERRAL_REPLY_TO="loket@disnaker-blitar.test",
        REFERRAL_MAIL_SECONDS=0.2,
        REFERRAL_RETRY_SECONDS=1,
    )
    container_factory(service_class(c.PROTECTION), protection).start()
    return start_stack(
        container_factory,
        config_for,
        services=(),
        REGISTRATION_READ_DATABASE_URL=config_for(c.REGISTRATION)["DATABASE_URL"],
    )


def worked_case(desk, assigning, siti, worker, mother, **changes) -> str:
    case = desk.post("/cases", json=filing(worker["id"], mother["id"], **changes)).json()
    path = f"/cases/{case['id']}"
    assert assigning.post(f"{path}/assign", json={"caseworker": "siti"}).status_code == 200
    assert siti.post(f"{path}/transitions", json={"to": "assessed"}).status_code == 200
    return path


def test_a_referral_letter_is_mailed_printed_and_answered_on_its_thread(api, mailbox):
    desk, siti = api.as_role("operator", "desk-1"), api.as_role("caseworker", "siti")
    budi, admin = api.as_role("caseworker", "budi"), api.as_role("admin", "admin-1")
    registered = worker_payload(destination_country="HK")
    worker = desk.post("/workers", json=registered).json()
    mother = desk.post(f"/workers/{worker['id']}/family", json=MOTHER).json()

    # a sensitive case first: the police have an address, yet its letter is never mailed
    hidden = worked_case(
        desk, admin, siti, worker, mother, case_type="violence_abuse", aspect="legal"
    )
    withheld = siti.post(
        f"{hidden}/transitions",
        json={
            "to": "referred",
            "referral": {"kind": "police", "name": "Polres Blitar", "summary": CONFIRMED},
        },
    )
    assert withheld.status_code == 200, withheld.text
    (sensitive,) = withheld.json()["referrals"]
    assert (sensitive["delivery"], sensitive["email"], sensitive["letter"]) == (
        "withheld",
        None,
        True,
    )

    path = worked_case(desk, siti, siti, worker, mother)
    unconfirmed = siti.post(
        f"{path}/transitions", json={"to": "referred", "referral": {"kind": "embassy"}}
    )
    assert unconfirmed.status_code == 422 and "summary" in unconfirmed.text
    moved = siti.post(
        f"{path}/transitions",
        json={"to": "referred", "referral": {"kind": "embassy", "summary": CONFIRMED}},
    )
    assert moved.status_code == 200, moved.text
    (referral,) = moved.json()["referrals"]
    assert (referral["kind"], referral["country"], referral["email"]) == ("embassy", "HK", KJRI)
    assert referral["name"].startswith("Konsulat Jenderal")
    assert referral["delivery"] in ("queued", "mailed")
    number = moved.json()["number"]

    # the consulate's mailbox receives the letter; the mail is a step on the referral's thread
    (mail,) = wait_for(mailbox.messages, message="the referral letter in the consulate's mailbox")
    assert (mail["To"], mail["Reply-To"]) == (KJRI, "loket@disnaker-blitar.test")
    assert number in mail["Subject"]
    (attached,) = [part for part in mail.walk() if part.get_filename()]
    letter = attached.get_payload(decode=True)
    text = pdf_text(letter)
    for needed in (number, registered["full_name"], "HK", "hilang kontak", "pelacakan"):
        assert needed in text, needed
    assert registered["nik"] not in text and f"{registered['nik'][-4:]}" in text
    assert registered["nik"] not in mail.as_string()

    def mailed() -> dict | None:
        case = siti.get(path).json()
        return case if case["referrals"][0]["delivery"] == "mailed" else None

    case = wait_for(mailed, message="the mail recorded on the case")
    on_thread = [s for s in case["steps"] if s["referral_id"] == referral["id"]]
    assert [s["action"] for s in on_thread] == ["moved", "mailed"]
    assert KJRI in on_thread[-1]["note"]

    # the caseworker prints the same letter
    printed = siti.get(f"{path}/referrals/{referral['id']}/letter")
    assert printed.status_code == 200, printed.text
    assert printed.headers["Content-Type"] == "application/pdf"
    assert printed.content == letter
    assert budi.get(f"{hidden}/referrals/{sensitive['id']}/letter").status_code == 404

    # the consulate answers by phone: the caseworker records it on the referral
    answered_at = dt.datetime.fromisoformat(referral["referred_at"])  # the soonest it may be
    recorded = siti.post(
        f"{path}/referrals/{referral['id']}/answers",
        json={
            "status": "in_progress",
            "answered_by": "Bapak Hendra, staf perlindungan KJRI",
            "answered_at": answered_at.isoformat(),
            "note": "sudah menghubungi majikan",
        },
    )
    assert recorded.status_code == 201, recorded.text
    (answer,) = recorded.json()["referrals"][0]["answers"]
    assert (answer["status"], answer["answered_by"], answer["recorded_by"]) == (
        "in_progress",
        "Bapak Hendra, staf perlindungan KJRI",
        "siti",
    )
    assert dt.datetime.fromisoformat(answer["answered_at"]) == answered_at
    assert recorded.json()["status"] == "referred"  # the caseworker moves it, having read it
    not_hers = budi.post(
        f"{path}/referrals/{referral['id']}/answers",
        json={"status": "resolved", "answered_by": "KJRI"},
    )
    assert not_hers.status_code == 403, not_hers.text

    # the console's cases page lists the referral, its delivery and the answer, not the text
    listed = siti.get("/ops/cases").json()
    row = next(item for item in listed["items"] if item["number"] == number)
    (shown,) = row["referrals"]
    assert (shown["delivery"], shown["answers"][0]["status"]) == ("mailed", "in_progress")
    assert "summary" not in shown and "pelacakan" not in json.dumps(listed)

    # the sensitive case's letter was never mailed, only printed
    assert [m["To"] for m in mailbox.messages()] == [KJRI]
    assert siti.get(hidden).json()["referrals"][0]["delivery"] == "withheld"
    printed = siti.get(f"{hidden}/referrals/{sensitive['id']}/letter")
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF")

    # the export she downloads herself keeps the protected case's letter at the desk
    own = api.as_role("worker", worker["id"]).get(f"/workers/{worker['id']}/export")
    assert own.status_code == 200, own.text
    rows = {row["id"]: row for row in own.json()["services"][c.PROTECTION]["case_referrals"]}
    at_the_desk = "[ada di loket / at the desk]"
    assert rows[sensitive["id"]]["summary"] == rows[sensitive["id"]]["letter"] == at_the_desk
    assert rows[referral["id"]]["summary"] == CONFIRMED


def test_a_letter_the_mail_server_did_not_take_waits_and_is_mailed_once_it_is_back(
    container_factory, config_for, tmp_path
):
    """The mail server is down when the case is referred: the letter stays queued, its failed
    attempts and the error on the referral; once the server answers, the letter is mailed once
    and the mail recorded on the thread."""
    mailbox = MailServer(tmp_path / "mail")  # its port is free: nothing listens yet
    api = desk_mailing_to(container_factory, config_for, mailbox)
    desk, siti = api.as_role("operator", "desk-1"), api.as_role("caseworker", "siti")
    worker = desk.post("/workers", json=worker_payload(destination_country="HK")).json()
    mother = desk.post(f"/workers/{worker['id']}/family", json=MOTHER).json()
    path = worked_case(desk, siti, siti, worker, mother)
    moved = siti.post(
        f"{path}/transitions",
        json={"to": "referred", "referral": {"kind": "embassy", "summary": CONFIRMED}},
    )
    assert moved.status_code == 200, moved.text

    def failed() -> dict | None:
        (referral,) = siti.get(path).json()["referrals"]
        return referral if referral["attempts"] >= 2 else None

    waiting = wait_for(failed, message="two attempts on a mail server that is down")
    assert (waiting["delivery"], waiting["mailed_at"]) == ("queued", None)
    assert waiting["last_error"]  # the kind of failure, never an address or a password
    listed = siti.get("/ops/cases").json()
    (row,) = [item for item in listed["items"] if item["id"] == path.rsplit("/", 1)[1]]
    shown = row["referrals"][0]  # the console marks the letter waiting
    assert (shown["delivery"], shown["attempts"] >= 2, bool(shown["last_error"])) == (
        "queued",
        True,
        True,
    )

    mailbox.start()
    try:
        (mail,) = wait_for(mailbox.messages, message="the letter once the server is back")
        assert mail["To"] == KJRI
        case = wait_for(
            lambda: (
                (found := siti.get(path).json())["referrals"][0]["delivery"] == "mailed" and found
            ),
            message="the mail recorded on the case",
        )
        (referral,) = case["referrals"]
        assert referral["last_error"] is None and referral["mailed_at"]
        mailed = [s for s in case["steps"] if s["action"] == "mailed"]
        assert [s["referral_id"] for s in mailed] == [referral["id"]]
        assert len(mailbox.messages()) == 1
    finally:
        mailbox.stop()
