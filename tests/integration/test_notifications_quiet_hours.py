"""The quiet hours on the real broker and databases, with the SMS provider a real HTTP server on
127.0.0.1: a worker registered at 23:00 WIB is not written to while the sender goes round
through the night, and is at 07:00."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from pmi_common.clock import Clock, SystemClock
from services.notifications.service import NotificationsService
from services.registration.service import RegistrationService
from tests.helpers import wait_for, worker_payload
from tests.integration.test_notifications_service import TOKEN, call
from tests.receivers import SmsProvider

# a Wednesday at 23:00 WIB
NIGHT = dt.datetime(2026, 5, 13, 16, 0, tzinfo=dt.UTC)
SEVEN = dt.datetime(2026, 5, 14, 0, 0, tzinfo=dt.UTC)  # 07:00 WIB the next morning


class NightClock(SystemClock):
    """23:00 WIB moving on with the real time, until the test moves it to the morning."""

    def __init__(self):
        super().__init__()
        self.started, self.at = time.monotonic(), NIGHT

    def now(self) -> dt.datetime:
        return self.at + dt.timedelta(seconds=time.monotonic() - self.started)

    def morning(self) -> None:
        self.started, self.at = time.monotonic(), SEVEN


@pytest.fixture
def provider():
    running = SmsProvider()
    yield running
    running.close()


def test_a_registration_at_23_wib_is_told_at_07_and_not_before(
    container_factory, config_for, provider
):
    registration = container_factory(RegistrationService, config_for("registration"))
    notifications = container_factory(
        NotificationsService,
        config_for(
            "notifications",
            PMI_ENV="development",
            NOTIFY_SMS_PROVIDER="json",
            NOTIFY_SMS_URL=provider.url,
            NOTIFY_SMS_TOKEN=TOKEN,
            NOTIFY_SEND_SECONDS=0.1,
        ),
    )
    clock = NightClock()
    next(d for d in notifications.dependencies if isinstance(d, Clock)).clock = clock
    registration.start()
    notifications.start()

    worker = call(registration, "register_worker", worker_payload())
    (waiting,) = wait_for(
        lambda: call(notifications, "messages_of", worker["id"])["items"],
        message="the registration's message kept",
    )
    assert waiting["status"] == "pending"
    assert dt.datetime.fromisoformat(waiting["due_at"]) == SEVEN
    made = dt.datetime.fromisoformat(waiting["created_at"])

    def rounds_since_made() -> bool:
        (channel,) = call(notifications, "overview")["channels"][:1]
        checked = channel.get("checked_at")
        return bool(checked) and dt.datetime.fromisoformat(checked) > made + dt.timedelta(
            seconds=0.5
        )

    wait_for(rounds_since_made, message="the sender's rounds after the message was made")
    assert provider.requests == []  # the night went by the sender: nothing sent

    clock.morning()
    (body,) = wait_for(provider.accepted, message="the message sent at 07:00")
    assert body["text"].startswith("Halo Siti, pendaftaran PMI Anda diterima.")
    # the provider answers before the sender records the message as sent
    (sent,) = wait_for(
        lambda: [
            message
            for message in call(notifications, "messages_of", worker["id"])["items"]
            if message["status"] != "pending"
        ],
        message="the message recorded as sent",
    )
    assert sent["status"] == "sent" and dt.datetime.fromisoformat(sent["sent_at"]) >= SEVEN
