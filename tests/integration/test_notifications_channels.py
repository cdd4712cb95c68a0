"""Each channel's request as its provider receives it, at fake providers that are real servers on
127.0.0.1: Twilio's form-encoded Messages API, WhatsApp Cloud's template message, the generic
JSON API's answers, and e-mail over SMTP; and what production refuses to start with."""

from __future__ import annotations

import base64
import datetime as dt
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from pmi_common import production
from services.notifications import domain as d
from services.notifications.channels import (
    JsonSmsChannel,
    ProviderDown,
    Refused,
    SmtpEmailChannel,
    TwilioSmsChannel,
    WhatsAppCloudChannel,
    channels_from,
    production_problems,
)
from services.notifications.service import NotificationsService
from tests.helpers import serve_in_background
from tests.mailserver import MailServer

NOW = dt.datetime(2026, 5, 13, 3, tzinfo=dt.UTC)


class Provider:
    """Answers each POST with ``status`` and ``answer`` (JSON); keeps path, headers and body."""

    def __init__(self, status: int = 200, answer: dict | None = None):
        self.status, self.answer = status, answer or {}
        self.requests: list[tuple[str, dict, bytes]] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers["content-length"]))
                provider.requests.append(
                    (self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                raw = json.dumps(provider.answer).encode()
                self.send_response(provider.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        serve_in_background(self.server)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider(request):
    status, answer = getattr(request, "param", (200, {}))
    running = Provider(status, answer)
    yield running
    running.close()


def message(channel=d.SMS, address="081234567890", language="id") -> d.Message:
    return d.Message(
        id="6f1c1b7e-3f43-4a8e-9d0c-2b4f4c1e9a01",
        event_id="e",
        worker_id="w",
        channel=channel,
        kind=d.DOCUMENTS_COMPLETED,
        language=language,
        body="Semua dokumen Anda sudah diverifikasi.\nDaftar OPP di LTSA PMI.",
        address=address,
        segments=1,
        encoding=d.GSM7,
        due_at=NOW,
        created_at=NOW,
    )


@pytest.mark.parametrize("provider", [(201, {"sid": "SM0123456789abcdef"})], indirect=True)
def test_twilio_receives_a_form_encoded_message_with_basic_auth(provider):
    channel = TwilioSmsChannel("AC123", "auth-token-of-tests", "+15005550006", provider.base)
    assert channel.send(message()) == "SM0123456789abcdef"
    (path, headers, body) = provider.requests[0]
    assert path == "/2010-04-01/Accounts/AC123/Messages.json"
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert (
        headers["authorization"]
        == "Basic " + base64.b64encode(b"AC123:auth-token-of-tests").decode()
    )
    form = parse_qs(body.decode())
    assert form == {
        "To": ["+6281234567890"],
        "From": ["+15005550006"],
        "Body": [message().body],
    }


@pytest.mark.parametrize("provider", [(200, {"messages": [{"id": "wamid.HBgM"}]})], indirect=True)
def test_whatsapp_cloud_receives_a_template_message_in_the_persons_language(provider):
    channel = WhatsAppCloudChannel("1234567890", "wa-token-of-tests", "pmi_notice", provider.base)
    assert channel.send(message(d.WHATSAPP, language="en")) == "wamid.HBgM"
    (path, headers, body) = provider.requests[0]
    assert path == "/1234567890/messages"
    assert headers["authorization"] == "Bearer wa-token-of-tests"
    sent = json.loads(body)
    assert sent["messaging_product"] == "whatsapp" and sent["to"] == "6281234567890"
    assert sent["type"] == "template"
    assert sent["template"]["name"] == "pmi_notice"
    assert sent["template"]["language"] == {"code": "en"}
    (component,) = sent["template"]["components"]
    assert component["parameters"] == [
        {"type": "text", "text": "Semua dokumen Anda sudah diverifikasi. Daftar OPP di LTSA PMI."}
    ]


@pytest.mark.parametrize(
    ("provider", "raised"),
    [((503, {}), ProviderDown), ((429, {}), ProviderDown), ((400, {"error": "bad"}), Refused)],
    indirect=["provider"],
)
def test_the_json_api_down_is_tried_again_and_a_refusal_fails_the_message(provider, raised):
    channel = JsonSmsChannel(provider.base + "/sms", "token-of-the-tests")
    with pytest.raises(raised):
        channel.send(message())


def test_a_provider_that_is_not_there_is_down():
    closed = Provider()
    closed.close()
    with pytest.raises(ProviderDown):
        JsonSmsChannel(closed.base + "/sms", "t", timeout=2).send(message())


def test_an_email_goes_over_smtp_with_the_message_id(tmp_path):
    server = MailServer(tmp_path / "mail").start()
    try:
        channel = SmtpEmailChannel(server.url, "pmi@ltsa.example")
        sent_id = channel.send(message(d.EMAIL, address="siti@example.org"))
        (mail,) = server.messages()
    finally:
        server.stop()
    assert sent_id == "<6f1c1b7e-3f43-4a8e-9d0c-2b4f4c1e9a01@pmi-notifications>"
    assert (mail["To"], mail["From"], mail["Subject"]) == (
        "siti@example.org",
        "pmi@ltsa.example",
        "Pemberitahuan PMI",
    )
    assert "Semua dokumen Anda sudah diverifikasi." in mail.get_payload()


# production ----------------------------------------------------------------------------------

READY = {
    "PMI_ENV": "production",
    "NOTIFY_SMS_PROVIDER": "json",
    "NOTIFY_SMS_URL": "https://sms.example.co.id/v1/messages",
    "NOTIFY_SMS_TOKEN": "a-real-token-0123456789",
    "NOTIFY_SMS_SENDER": "LTSA-PMI",
    "NOTIFY_INBOUND_SECRET": "k" * 40,
}


def test_production_refuses_to_start_without_a_configured_sms_provider():
    with pytest.raises(production.Refused) as refused:
        NotificationsService.check_config({"PMI_ENV": "production"})
    assert "NOTIFY_SMS_PROVIDER is not set" in str(refused.value)
    assert "NOTIFY_INBOUND_SECRET is not set" in str(refused.value)
    assert production_problems(READY) == []
    assert production_problems({**READY, "NOTIFY_SMS_PROVIDER": "outbox"})
    assert production_problems({**READY, "NOTIFY_SMS_URL": "http://sms.example.co.id/v1"})
    assert production_problems({**READY, "NOTIFY_SMS_TOKEN": "changeme"})
    assert production_problems({**READY, "NOTIFY_SMS_PROVIDER": "twilio"}) == [
        "NOTIFY_SMS_ACCOUNT (the Twilio account SID) is not set",
        "NOTIFY_TWILIO_INBOUND_URL (the https:// webhook Twilio calls with replies such as "
        "BERHENTI) is not set",
    ]
    twilio = {
        **READY,
        "NOTIFY_SMS_PROVIDER": "twilio",
        "NOTIFY_SMS_ACCOUNT": "AC0123456789abcdef0123456789abcdef",
        "NOTIFY_TWILIO_INBOUND_URL": "https://pmi.example.go.id/api/v1/notifications/twilio",
    }
    assert production_problems(twilio) == []
    NotificationsService.check_config({"PMI_ENV": "development"})  # the local outbox


def test_development_without_providers_keeps_every_message_in_the_local_outbox():
    found = channels_from({"PMI_ENV": "development"})
    assert {name: channel.provider for name, channel in found.items()} == {
        "sms": "outbox",
        "whatsapp": "outbox",
        "email": "outbox",
    }
    assert list(channels_from({**READY})) == ["sms"]
