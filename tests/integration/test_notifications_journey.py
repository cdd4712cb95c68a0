"""A worker's journey from registration to her return home, told by SMS, on the real broker and
databases through the gateway, with the SMS provider a real HTTP server on 127.0.0.1: the worker
and her mother (an emergency contact she consented to, who reports her unpaid wages from Hong
Kong) receive exactly the messages the journey's steps give, with their words checked; a case of
violence reported by the mother reaches the worker alone, in neutral words, and nothing of it
reaches the mother's phone; a death recorded reaches the emergency contacts the worker consented
to, each with an opt-out of their own."""

from __future__ import annotations

import pytest

from gateway.testing import start_stack
from pmi_common import contract as c
from pmi_common.clock import Clock
from services.notifications.domain import reply_signature
from services.notifications.providers import DEVELOPMENT_INBOUND_SECRET
from services.notifications.service import NotificationsService
from tests.e2e.journey import Journey
from tests.helpers import district_today, wait_for
from tests.integration.test_gateway_case_outcomes import abroad
from tests.integration.test_gateway_letters import KADEMANGAN, MOTHER, acknowledged_permission
from tests.integration.test_notifications_service import MORNING, TOKEN, MorningClock
from tests.receivers import SmsProvider

DESK = "LTSA PMI Blitar"
SITI, SUMINI = "+6281234567890", MOTHER["phone"]
WAGES = "Gaji Siti belum dibayar lima bulan oleh majikan di Kowloon"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


class Desks:
    """The in-process gateway as the journey of the end-to-end tests drives it."""

    def __init__(self, api):
        self.api = api

    def client(self, role: str, sub: str | None = None):
        return self.api.as_role(role, sub or f"desk-{role}")

    def url(self, path: str) -> str:
        return path


@pytest.fixture
def provider():
    running = SmsProvider()
    yield running
    running.close()


@pytest.fixture
def api(container_factory, config_for, provider):
    notifications = container_factory(
        NotificationsService,
        config_for(
            "notifications",
            PMI_ENV="development",
            NOTIFY_SMS_PROVIDER="json",
            NOTIFY_SMS_URL=provider.url,
            NOTIFY_SMS_TOKEN=TOKEN,
            NOTIFY_DESK=DESK,
            NOTIFY_SEND_SECONDS=0.1,
            NOTIFY_DAILY_CAP=50,  # the whole journey in one morning: no message held to tomorrow
        ),
    )
    next(d for d in notifications.dependencies if isinstance(d, Clock)).clock = MorningClock()
    notifications.start()
    return start_stack(
        container_factory,
        config_for,
        services=(c.REGISTRATION, c.DOCUMENTS, c.ORIENTATION, c.PROTECTION, c.LETTERS),
    )


def texts_to(provider, phone: str) -> list[str]:
    return [body["text"] for body in provider.accepted() if body["to"] == phone]


def case_step(caseworker, case_id: str, to: str, **more) -> None:
    moved = caseworker.post(f"/cases/{case_id}/transitions", json={"to": to, **more})
    assert moved.status_code == 200, moved.text


def test_from_registration_to_return_the_worker_and_her_mother_get_exactly_their_messages(
    api, provider
):
    desk = api.as_role("operator", "desk-1")
    caseworker = api.as_role("caseworker", "siti-cw")
    village = api.as_role("village", "kades-kademangan", village=KADEMANGAN)
    journey = Journey(Desks(api))

    worker = journey.register()
    mother = desk.post(f"/workers/{worker['id']}/family", json=MOTHER).json()
    acknowledged_permission(desk, village, worker, mother)
    asked = desk.post(
        f"/workers/{worker['id']}/letters", json={"letter_type": "passport_recommendation"}
    )
    assert asked.status_code == 201, asked.text
    issued = desk.post(f"/letters/{asked.json()['id']}/issue")
    assert issued.status_code == 200, issued.text
    journey.submit_and_verify_documents()
    journey.wait_status("documents_verified")
    certificate = journey.attend_orientation()
    journey.wait_status("orientation_completed")
    journey.add_bpjs()
    journey.wait_status("cleared_for_departure")
    journey.depart()

    filed = desk.post(
        "/cases",
        json={
            "worker_id": worker["id"],
            "reporter_kind": "family_member",
            "family_member_id": mother["id"],
            "channel": "desk",
            "aspect": "economic",
            "case_type": "unpaid_wages",
            "urgency": "high",
            "summary": WAGES,
        },
    )
    assert filed.status_code == 201, filed.text
    case = filed.json()
    assert (
        caseworker.post(f"/cases/{case['id']}/assign", json={"caseworker": "siti-cw"}).status_code
        == 200
    )
    case_step(caseworker, case["id"], "assessed")
    today = district_today()
    case_step(
        caseworker,
        case["id"],
        "resolved",
        note="Dipulangkan oleh KJRI Hong Kong, gaji dibayar",
        outcome={"kind": "repatriated", "returned_on": today.isoformat()},
    )
    journey.wait_status("returned")

    number, day = case["number"], f"{today.day} {MONTHS[today.month - 1]} {today.year}"
    about_case = [
        f"Pengaduan {number} sudah kami terima. Tanya {DESK} dengan nomor ini.",
        f"Pengaduan {number} sedang ditelaah petugas. Tanya {DESK} dengan nomor ini.",
        f"Pengaduan {number} selesai ditangani. Tanya {DESK} dengan nomor ini.",
    ]
    to_siti = [
        f"Halo Siti, pendaftaran PMI Anda diterima. Langkah berikut: bawa dokumen Anda ke {DESK}. "
        "Balas BERHENTI untuk berhenti.",
        f"Surat rekomendasi paspor Anda sudah terbit. Ambil di {DESK}. "
        "Keasliannya dapat dicek dengan kode pada surat.",
        "Semua dokumen Anda sudah diverifikasi. Langkah berikut: orientasi pra pemberangkatan "
        f"(OPP). Daftar di {DESK}.",
        f"Selamat, Anda lulus OPP. Nomor sertifikat: {certificate['certificate_number']}.",
        f"Semua syarat keberangkatan Anda lengkap. Hubungi {DESK} untuk mencatat "
        "keberangkatan. Semoga sukses!",
        *about_case,
        f"Selamat datang kembali, Siti. Info di {DESK}.",
    ]
    to_sumini = [
        *about_case,
        f"Siti sudah dipulangkan ke Indonesia pada {day}. Info di {DESK}.",
    ]
    # the seat in the OPP session is said with the session's day and hour: its words apart
    wait_for(
        lambda: (
            len(texts_to(provider, SITI)) == len(to_siti) + 1
            and len(texts_to(provider, SUMINI)) == len(to_sumini)
        ),
        message="every message of the journey accepted by the provider",
    )
    seats = [t for t in texts_to(provider, SITI) if t.startswith("Anda terdaftar di OPP ")]
    assert len(seats) == 1 and seats[0].endswith("WIB di LTSA PMI Blitar. Bawa KTP asli.")
    assert sorted(t for t in texts_to(provider, SITI) if t not in seats) == sorted(to_siti)
    assert sorted(texts_to(provider, SUMINI)) == sorted(to_sumini)
    sent = provider.accepted()
    assert len({body["reference"] for body in sent}) == len(sent)  # each message sent once
    everything = " ".join(body["text"] for body in sent)
    assert WAGES not in everything and "Kowloon" not in everything and "KJRI" not in everything
    assert journey.payload["nik"][:6] not in everything


def test_a_violence_case_reported_by_the_mother_reaches_the_worker_alone_in_neutral_words(
    api, provider
):
    desk = api.as_role("operator", "desk-1")
    caseworker = api.as_role("caseworker", "siti-cw")
    worker = Journey(Desks(api)).register()
    mother = desk.post(f"/workers/{worker['id']}/family", json=MOTHER).json()
    filed = desk.post(
        "/cases",
        json={
            "worker_id": worker["id"],
            "reporter_kind": "family_member",
            "family_member_id": mother["id"],
            "channel": "phone",
            "aspect": "social",
            "case_type": "violence_abuse",
            "urgency": "emergency",
            "summary": "Dipukul majikan",
        },
    )
    assert filed.status_code == 201, filed.text
    number = filed.json()["number"]
    admin = api.as_role("admin", "admin-1")  # a sensitive case: the admin assigns it
    assert (
        admin.post(
            f"/cases/{filed.json()['id']}/assign", json={"caseworker": "siti-cw"}
        ).status_code
        == 200
    )
    case_step(caseworker, filed.json()["id"], "assessed")

    news = f"Ada kabar untuk Anda dari {DESK} (nomor {number}). Hubungi kami bila Anda sempat."
    wait_for(
        lambda: texts_to(provider, SITI).count(news) == 2,
        message="the worker told twice of her case, in neutral words",
    )
    # the steps were heard: registration's message and the two of the case, and no other
    assert len(texts_to(provider, SITI)) == 3
    assert texts_to(provider, SUMINI) == []


FATHER = {**MOTHER, "full_name": "Sarno", "phone": "+6281355556666"}
BROTHER = {  # an emergency contact the worker did not consent to contacting
    **MOTHER,
    "full_name": "Joko",
    "relation": "sibling",
    "phone": "+6281377778888",
    "heir": False,
    "consent_to_contact": False,
}


def test_the_family_hears_of_the_death_each_with_their_own_berhenti(api, provider):
    """The mother reports an ordinary case, hears it received, and replies BERHENTI: the next
    step reaches the worker and not her. The death recorded then reaches the father (an
    emergency contact the worker consented to), not the mother who opted out, and not the
    brother the worker did not consent to contacting; the case's next step reaches no phone."""
    desk = api.as_role("operator", "desk-1")
    caseworker = api.as_role("caseworker", "siti-cw")
    worker = abroad(desk)
    path = f"/workers/{worker['id']}"
    mother = desk.post(f"{path}/family", json=MOTHER).json()
    father = desk.post(f"{path}/family", json=FATHER).json()
    brother = desk.post(f"{path}/family", json=BROTHER).json()
    filed = desk.post(
        "/cases",
        json={
            "worker_id": worker["id"],
            "reporter_kind": "family_member",
            "family_member_id": mother["id"],
            "channel": "desk",
            "aspect": "social",
            "case_type": "lost_contact",
            "urgency": "high",
            "summary": "Sudah enam minggu tidak menelepon",
        },
    ).json()
    received = f"Pengaduan {filed['number']} sudah kami terima. Tanya {DESK} dengan nomor ini."
    wait_for(lambda: texts_to(provider, SUMINI) == [received], message="the mother told")

    stamp = str(int(MORNING.timestamp()) + 1)  # "now" on the service's clock
    stopped = api.anonymous().post(
        "/notifications/replies",
        json={
            "from": SUMINI,
            "text": "BERHENTI",
            "timestamp": stamp,
            "signature": reply_signature(DEVELOPMENT_INBOUND_SECRET, stamp, SUMINI, "BERHENTI"),
        },
    )
    assert stopped.json() == {"intent": "opt_out", "people": 1}, stopped.text  # her alone
    assert (
        caseworker.post(f"/cases/{filed['id']}/assign", json={"caseworker": "siti-cw"}).status_code
        == 200
    )
    case_step(caseworker, filed["id"], "assessed")
    assessed = received.replace("sudah kami terima", "sedang ditelaah petugas")
    wait_for(lambda: assessed in texts_to(provider, SITI), message="the worker told the step")

    died = desk.post(
        f"{path}/death",
        json={
            "died_on": district_today().isoformat(),
            "country": "HK",
            "cause": "accident",
            "remains_repatriated": False,
            "heirs": [mother["id"], father["id"]],
        },
    )
    assert died.status_code == 200, died.text
    condolence = f"Turut berduka cita atas wafatnya Siti. Bantuan dan hak ahli waris: {DESK}."
    wait_for(
        lambda: texts_to(provider, FATHER["phone"]) == [condolence],
        message="the father told of the death",
    )
    assert texts_to(provider, SUMINI) == [received]  # nothing after her BERHENTI
    assert texts_to(provider, BROTHER["phone"]) == []
    assert brother["consent_to_contact"] is False

    # the case goes on; the worker's phone is written to no more, the mother's step is withheld
    case_step(caseworker, filed["id"], "closed", note="Pekerja meninggal dunia")
    withheld = wait_for(
        lambda: [
            m
            for m in desk.get(f"/workers/{mother['id']}/notifications").json()["items"]
            if "ditutup" in m["body"]
        ],
        message="the closing step kept for the mother, withheld",
    )
    assert [m["status"] for m in withheld] == ["suppressed"]
    # made in the same transaction as the mother's: none for the worker
    worker_log = desk.get(f"/workers/{worker['id']}/notifications").json()["items"]
    assert not any("ditutup" in m["body"] for m in worker_log)
    assert any("ditelaah" in m["body"] for m in worker_log)
