"""On the real broker and PostgreSQL, with an SMS provider that is a real HTTP server on
127.0.0.1: a worker whose contract is ending is told so with the programme she is invited to, a
passport about to lapse abroad is announced, and a seat in tomorrow's OPP is reminded of once."""

from __future__ import annotations

import uuid

import pytest
from nameko.testing.services import entrypoint_hook

from pmi_common import contract as c
from pmi_common.clock import Clock
from services.notifications.service import NotificationsService
from services.registration.service import RegistrationService
from tests.events import envelope, publish
from tests.helpers import wait_for, worker_payload
from tests.integration.test_notifications_service import TOKEN, MorningClock
from tests.receivers import SmsProvider


@pytest.fixture
def provider():
    running = SmsProvider()
    yield running
    running.close()


@pytest.fixture
def platform(container_factory, config_for, provider):
    registration = container_factory(RegistrationService, config_for("registration"))
    notifications = container_factory(
        NotificationsService,
        config_for(
            "notifications",
            PMI_ENV="development",
            NOTIFY_SMS_PROVIDER="json",
            NOTIFY_SMS_URL=provider.url,
            NOTIFY_SMS_TOKEN=TOKEN,
            NOTIFY_DESK="LTSA PMI Blitar",
            NOTIFY_SEND_SECONDS=0.1,
            NOTIFY_DAILY_CAP=10,
        ),
    )
    next(d for d in notifications.dependencies if isinstance(d, Clock)).clock = MorningClock()
    registration.start()
    notifications.start()
    return registration, notifications


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def sent_texts(provider) -> list[str]:
    return [body["text"] for body in provider.accepted()]


def texts_with(provider, words: str) -> list[str]:
    return [text for text in sent_texts(provider) if words in text]


def test_contract_ending_expiring_passport_and_tomorrows_opp_each_reach_the_worker_once(
    platform, provider, rabbit_config
):
    registration, notifications = platform
    amqp = rabbit_config["AMQP_URI"]
    worker = call(registration, "register_worker", worker_payload())
    worker_id = worker["id"]
    wait_for(lambda: texts_with(provider, "pendaftaran PMI"), message="the registration SMS")

    programme = {
        "program_id": str(uuid.uuid4()),
        "name": "PAK CAMAT PMI 2026",
        "audience": "both",
        "capacity": 100,
        "starts_on": "2026-07-20",
        "rounds": [],
    }
    publish(amqp, envelope(c.PROGRAM_CREATED, None, programme))
    wait_for(
        lambda: call(notifications, "messages_of", worker_id)["items"], message="the first log"
    )
    ending = envelope(
        c.CONTRACT_ENDING,
        worker_id,
        {"ends_on": "2026-07-12", "days_left": 60, "cycle": 1},
        sequence=20,
    )
    publish(amqp, ending)
    publish(amqp, ending)  # delivered again: still one message
    expiring = envelope(
        c.DOCUMENT_EXPIRING,
        worker_id,
        {
            "document_id": str(uuid.uuid4()),
            "document_type": "passport",
            "expires_on": "2026-07-08",
            "days_left": 56,
            "warning_days": 60,
            "abroad": True,
        },
    )
    publish(amqp, expiring)
    session_id = str(uuid.uuid4())
    tomorrow_0800_wib = "2026-05-14T01:00:00+00:00"
    publish(
        amqp,
        envelope(
            c.SESSION_SCHEDULED,
            None,
            {
                "session_id": session_id,
                "starts_at": tomorrow_0800_wib,
                "location": "Aula Disnaker",
                "capacity": 30,
                "topics": [],
            },
        ),
    )
    publish(
        amqp,
        envelope(
            c.ORIENTATION_ENROLLED,
            worker_id,
            {"session_id": session_id, "starts_at": tomorrow_0800_wib},
        ),
    )
    wait_for(lambda: texts_with(provider, "OPP 14 Mei 2026"), message="the seat taken")
    assert call(notifications, "send_reminders") == 1
    assert call(notifications, "send_reminders") == 0  # once per enrolment

    wait_for(lambda: len(sent_texts(provider)) >= 5, message="five messages")
    assert texts_with(provider, "kontrak kerja") == [
        "Halo Siti, kontrak kerja Anda berakhir 12 Jul 2026. Setelah pulang, Anda diundang ke "
        "program wirausaha PAK CAMAT PMI 2026. Info di LTSA PMI Blitar."
    ]
    assert texts_with(provider, "Paspor") == [
        "Paspor Anda berlaku sampai 8 Jul 2026 (56 hari lagi). Perpanjang di KBRI/KJRI, lalu "
        "kirim salinannya ke LTSA PMI Blitar."
    ]
    assert texts_with(provider, "Pengingat") == [
        "Pengingat: OPP Anda besok, 14 Mei 2026 pukul 08.00 WIB di Aula Disnaker. Bawa KTP asli."
    ]
    kinds = [m["kind"] for m in call(notifications, "messages_of", worker_id)["items"]]
    assert sorted(kinds) == sorted(
        ["registered", "contract_ending", "document_expiring", "seat_taken", "session_reminder"]
    )
    assert len(sent_texts(provider)) == 5
