"""An SMS provider that cannot be reached while a dozen workers register, on the real broker and
databases: every message is tried, kept and tried again with backoff, and once the provider is
back (a real HTTP server on the same port) each of them reaches it exactly once."""

from __future__ import annotations

from http.server import ThreadingHTTPServer

import pytest
from sqlalchemy import create_engine, text

from pmi_common.clock import Clock
from services.notifications.service import NotificationsService
from services.registration.service import RegistrationService
from tests.helpers import serve_in_background, wait_for, worker_payload
from tests.integration.test_notifications_service import TOKEN, MorningClock, call
from tests.receivers import SmsProvider

WORKERS = 12


class Restartable(SmsProvider):
    """The JSON SMS API, stopped (connection refused) and started again on its port."""

    def start_again(self) -> None:
        port, handler = self.server.server_address[1], self.server.RequestHandlerClass
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        serve_in_background(self.server)


@pytest.fixture
def provider():
    running = Restartable()
    yield running
    running.close()


def attempts(url: str) -> list[tuple[str, int, str | None]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [
                tuple(row)
                for row in conn.execute(text("SELECT status, attempts, last_error FROM messages"))
            ]
    finally:
        engine.dispose()


def test_a_provider_down_loses_no_message_and_sends_none_twice(
    container_factory, config_for, provider, database_urls
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
            NOTIFY_RETRY_DELAYS=(0.2, 0.4),
            NOTIFY_DAILY_CAP=50,
        ),
    )
    next(d for d in notifications.dependencies if isinstance(d, Clock)).clock = MorningClock()
    provider.close()  # down: nothing listens on its port
    registration.start()
    notifications.start()

    workers = [call(registration, "register_worker", worker_payload()) for _ in range(WORKERS)]
    # every message made and the provider found down at least twice meanwhile
    wait_for(
        lambda: (
            len(attempts(database_urls["notifications"])) == WORKERS
            and sum(tried for _, tried, _ in attempts(database_urls["notifications"])) >= 2
        ),
        message="the messages kept and tried while the provider is down",
    )
    assert all(status == "pending" for status, _, _ in attempts(database_urls["notifications"]))
    assert any(
        error and "ConnectionError" in error
        for _, _, error in attempts(database_urls["notifications"])
    )

    provider.start_again()
    wait_for(
        lambda: all(status == "sent" for status, _, _ in attempts(database_urls["notifications"])),
        message="every message sent once the provider is back",
    )
    references = [body["reference"] for body in provider.accepted()]
    assert len(references) == len(set(references)) == WORKERS
    logged = {
        m["id"] for w in workers for m in call(notifications, "messages_of", w["id"])["items"]
    }
    assert set(references) == logged
