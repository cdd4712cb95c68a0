"""Twilio both ways, on the real broker and databases through the gateway, with a fake Twilio
that is a real HTTP server on 127.0.0.1: it takes the worker's SMS from its Messages API
(form-encoded, HTTP Basic), then calls the platform's webhook as Twilio does (form-encoded,
``X-Twilio-Signature``: HMAC-SHA1 under the auth token of the webhook's URL and the parameters
sorted by name) with the message's status and the worker's reply BERHENTI, which stops the next
SMS; a call not signed with the auth token is refused and changes nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import requests

from gateway.testing import start_stack
from pmi_common import contract as c
from pmi_common.clock import Clock
from services.notifications.service import NotificationsService
from tests.events import envelope, publish
from tests.helpers import serve_in_background, wait_for, worker_payload
from tests.integration.test_notifications_service import MorningClock

ACCOUNT, AUTH_TOKEN, NUMBER = (
    "AC0123456789abcdef0123456789abcdef",
    "twilio-auth-token-0123",
    "+15005550006",
)
SITI = "+6281234567890"


class FakeTwilio:
    """Twilio's Messages API on 127.0.0.1 (each message answered 201 with its ``sid``), and
    Twilio's side of the webhook: ``call`` posts parameters to the platform signed as Twilio
    signs them."""

    def __init__(self):
        self.messages: list[tuple[str, dict, dict]] = []  # path, headers, form
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the stdlib's name
                raw = self.rfile.read(int(self.headers["content-length"]))
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake.messages.append((self.path, headers, form))
                answer = json.dumps(
                    {"sid": f"SM{len(fake.messages):032x}", "status": "queued"}
                ).encode()
                self.send_response(201)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        serve_in_background(self.server)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def call(self, url: str, params: dict, token: str = AUTH_TOKEN) -> requests.Response:
        signed = url + "".join(f"{name}{params[name]}" for name in sorted(params))
        signature = base64.b64encode(
            hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()
        ).decode()
        return requests.post(
            url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def twilio():
    running = FakeTwilio()
    yield running
    running.close()


@pytest.fixture
def api(container_factory, config_for, twilio):
    api = start_stack(container_factory, config_for, services=(c.REGISTRATION,))
    notifications = container_factory(
        NotificationsService,
        config_for(
            "notifications",
            PMI_ENV="development",
            NOTIFY_SMS_PROVIDER="twilio",
            NOTIFY_SMS_URL=twilio.base,
            NOTIFY_SMS_ACCOUNT=ACCOUNT,
            NOTIFY_SMS_TOKEN=AUTH_TOKEN,
            NOTIFY_SMS_SENDER=NUMBER,
            NOTIFY_TWILIO_INBOUND_URL=api.base_url + "/notifications/twilio",
            NOTIFY_SEND_SECONDS=0.1,
        ),
    )
    next(d for d in notifications.dependencies if isinstance(d, Clock)).clock = MorningClock()
    notifications.start()
    return api


def inbound(sid: str, body: str) -> dict:
    """What Twilio posts for an incoming SMS (the fields it always sends)."""
    return {
        "ToCountry": "US",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "FromCountry": "ID",
        "To": NUMBER,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT,
        "From": SITI,
        "ApiVersion": "2010-04-01",
    }


def test_twilio_sends_reports_delivery_and_berhenti_stops_the_next_sms(api, twilio, rabbit_config):
    desk = api.as_role("operator", "desk-1")
    worker = desk.post("/workers", json=worker_payload()).json()
    log = f"/workers/{worker['id']}/notifications"
    webhook = api.base_url + "/notifications/twilio"

    (sent,) = wait_for(
        lambda: [m for m in desk.get(log).json()["items"] if m["status"] == "sent"],
        message="the registration's SMS handed to Twilio",
    )
    (path, headers, form) = twilio.messages[0]
    assert path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert (
        headers["authorization"]
        == "Basic " + base64.b64encode(f"{ACCOUNT}:{AUTH_TOKEN}".encode()).decode()
    )
    assert (form["To"], form["From"]) == (SITI, NUMBER)
    assert form["Body"].startswith("Halo Siti, pendaftaran PMI Anda diterima.")
    sid = sent["provider_message_id"]
    assert (sent["provider"], sid) == ("twilio", f"SM{1:032x}")

    status = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": ACCOUNT, "To": SITI}
    forged = twilio.call(webhook, status, token="not-the-auth-token")
    assert forged.status_code == 403, forged.text
    answered = twilio.call(webhook, status)
    assert answered.status_code == 200, answered.text
    assert answered.headers["content-type"].startswith("text/xml")
    assert answered.text == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    (shown,) = desk.get(log).json()["items"]
    assert shown["delivery_status"] == "delivered"

    # the parameters are signed: one changed after signing is refused
    tampered = requests.post(
        webhook,
        data={**inbound("SM1", "MULAI")},
        headers={"X-Twilio-Signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
        timeout=10,
    )
    assert tampered.status_code == 403
    stopped = twilio.call(webhook, inbound("SMa1b2", "Berhenti"))
    assert stopped.status_code == 200, stopped.text

    publish(
        rabbit_config["AMQP_URI"],
        envelope(
            c.DOCUMENTS_COMPLETED, worker["id"], {"document_ids": ["d"], "earliest_expiry": None}
        ),
    )
    (withheld,) = wait_for(
        lambda: [m for m in desk.get(log).json()["items"] if m["kind"] == "documents_completed"],
        message="the next message, withheld",
    )
    assert (withheld["status"], withheld["last_error"]) == ("suppressed", "opted out")
    assert len(twilio.messages) == 1  # Twilio was given the first SMS only


def test_a_webhook_call_that_is_not_form_encoded_is_refused(api):
    answer = requests.post(
        api.base_url + "/notifications/twilio",
        json=inbound("SM1", "BERHENTI"),
        headers={"X-Twilio-Signature": "x"},
        timeout=10,
    )
    assert answer.status_code == 415
