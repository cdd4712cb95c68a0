"""The notifications service on the real broker and PostgreSQL, with an SMS provider that is a
real HTTP server on 127.0.0.1: a worker's registration leads to exactly one SMS, though the
provider is down at first and the event is heard twice; the message sent is told
(``notification_sent``) with its cost and nothing of the person."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import create_engine, text

from pmi_common import contract as c
from pmi_common.clock import Clock, SystemClock
from services.notifications.service import NotificationsService
from services.registration.service import RegistrationService
from tests.events import envelope, publish
from tests.helpers import Subscriber, wait_for, worker_payload
from tests.receivers import SmsProvider

TOKEN = "sms-provider-token-for-the-tests"
# a Wednesday at 10:00 WIB, moving on with the real time: outside the quiet hours whenever the
# suite runs
MORNING = dt.datetime(2026, 5, 13, 3, 0, tzinfo=dt.UTC)


class MorningClock(SystemClock):
    def __init__(self):
        super().__init__()
        self.started = time.monotonic()

    def now(self) -> dt.datetime:
        return MORNING + dt.timedelta(seconds=time.monotonic() - self.started)


@pytest.fixture
def provider():
    running = SmsProvider(failures=2)
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
            NOTIFY_RETRY_DELAYS=(0.2,),
            NOTIFY_COST_SMS=350,
        ),
    )
    next(d for d in notifications.dependencies if isinstance(d, Clock)).clock = MorningClock()
    registration.start()
    notifications.start()
    return registration, notifications


SESSION = {
    "session_id": "3f0e8a52-7c1b-4d2e-9a6f-1b2c3d4e5f60",
    "starts_at": "2026-05-20T01:00:00+00:00",
    "location": "Aula Disnaker",
    "capacity": 30,
    "topics": ["kontrak"],
}


def session_heard(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT count(*) FROM sessions")).scalar())
    finally:
        engine.dispose()


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def test_a_registration_gives_exactly_one_sms_though_the_provider_fails_first(
    platform, provider, rabbit_config, database_urls
):
    registration, notifications = platform
    told = Subscriber(rabbit_config["AMQP_URI"], c.exchange_name(c.NOTIFICATIONS))
    heard = Subscriber(rabbit_config["AMQP_URI"], c.exchange_name(c.REGISTRATION))
    try:
        worker = call(registration, "register_worker", worker_payload())
        registered = heard.wait_for(lambda got: got)[0]
    finally:
        heard.close()
    publish(rabbit_config["AMQP_URI"], registered)  # the same event, delivered again

    wait_for(provider.accepted, message="the SMS accepted by the provider")
    (sent,) = wait_for(
        lambda: [
            m
            for m in call(notifications, "messages_of", worker["id"])["items"]
            if m["status"] == "sent"
        ],
        message="the message recorded as sent",
    )

    assert [status for _, _, status in provider.requests] == [503, 503, 201]
    (headers, body, _) = provider.requests[-1]
    assert body["to"] == "+6281234567890" and body["reference"] == sent["id"]
    assert body["text"].startswith("Halo Siti, pendaftaran PMI Anda diterima.")
    assert worker_payload()["nik"][:6] not in body["text"]  # no part of a NIK
    assert headers["authorization"] == f"Bearer {TOKEN}"
    # every attempt carried the same idempotency key: the message's own id
    assert {h["idempotency-key"] for h, _, _ in provider.requests} == {sent["id"]}
    assert (sent["attempts"], sent["provider"], sent["provider_message_id"]) == (
        3,
        "json-sms",
        "sms-3",
    )
    assert sent["to"].endswith("890") and "81234567" not in sent["to"]
    # nothing more follows: once an event published after the duplicate has been applied, still
    # one event, one person, one channel, one message
    publish(rabbit_config["AMQP_URI"], envelope(c.SESSION_SCHEDULED, None, SESSION))
    wait_for(lambda: session_heard(database_urls["notifications"]), message="the later event")
    assert len(call(notifications, "messages_of", worker["id"])["items"]) == 1
    assert len(provider.accepted()) == 1
    # the message sent, told once for the reporting service's figures: its cost, not its text
    try:
        (event,) = told.wait_for(lambda got: got)
        told.drain()
    finally:
        told.close()
    assert len(told.messages) == 1
    assert (event["event_type"], event["worker_id"]) == (c.NOTIFICATION_SENT, worker["id"])
    assert event["data"] == {
        "kind": "registered",
        "channel": "sms",
        "segments": sent["segments"],
        "cost_rupiah": 350 * sent["segments"],
    }
    assert "81234567890" not in json.dumps(event) and "Halo" not in json.dumps(event)
