"""The ways out: one interface (``Channel.send``), one class per provider.

- SMS through an HTTP gateway: ``json`` (a generic JSON API: ``POST`` the URL with ``to``,
  ``text`` and ``reference``, a bearer token and an ``Idempotency-Key`` header; the answer's
  ``id``) or ``twilio`` (Twilio's Messages API, form-encoded, HTTP Basic with the account SID
  and auth token; the answer's ``sid``; Twilio takes no idempotency key, so a timed-out attempt
  that did reach it may be sent twice: the outbox keeps that to the one message in doubt);
- WhatsApp through the WhatsApp Business Cloud API: ``POST /{phone-number-id}/messages`` with a
  template message whose one body parameter is the text (the template, approved by Meta, is
  ``NOTIFY_WHATSAPP_TEMPLATE`` in the person's language);
- e-mail through SMTP (``smtplib``), the message's id as its ``Message-ID``;
- ``outbox``: nothing leaves the machine; the message is kept as sent (``make run``, read with
  ``pmi notifications outbox``), and a sign-in code is written to the log, marked as
  development's, so that whoever runs the platform on a laptop can sign in to the worker's app
  (the kept message has the code blanked). Production refuses it (``production_problems``).

A provider that cannot be reached, times out or answers 429 or 5xx raises ``ProviderDown``: the
message is tried again later and the channel's other messages wait for the next round. One that
refuses the message itself (another 4xx) raises ``Refused``: the message fails at once.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import requests
import structlog

from pmi_common import production

from .domain import EMAIL, INDONESIAN, SIGN_IN_CODE, SMS, WHATSAPP, Message, masked_address

DEFAULT_TIMEOUT = 10.0
WHATSAPP_API = "https://graph.facebook.com/v21.0"
TWILIO_API = "https://api.twilio.com"
SUBJECTS = {INDONESIAN: "Pemberitahuan PMI", "en": "PMI notice"}
SMS_PROVIDERS = ("json", "twilio")
OUTBOX = "outbox"
DEVELOPMENT_ONLY = (
    "DEVELOPMENT ONLY: nothing was sent; the local outbox writes sign-in codes here so that you "
    "can sign in to /app; production refuses it"
)

log = structlog.get_logger("notifications")


class ProviderDown(Exception):
    """The provider could not take the message now: try again later."""


class Refused(Exception):
    """The provider refused this message for good (a number it cannot reach, say)."""


class Channel(Protocol):
    channel: str  # sms, whatsapp or email
    provider: str  # the provider's name, kept with each message

    def send(self, message: Message) -> str | None:
        """Hand the message to the provider; the provider's id for it."""
        ...


def e164(phone: str) -> str:
    """An Indonesian number as +62...: 0812... and 62812... become +62812..."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip().startswith("+"):
        return "+" + digits
    if digits.startswith("0"):
        return "+62" + digits[1:]
    return "+" + digits


class OutboxChannel:
    """Keeps the message, sends nothing: the local outbox of ``make run`` and the tests, in
    development only. A sign-in code is written to the log too (the address masked), so that
    the worker's app can be signed in to without an SMS provider."""

    provider = OUTBOX

    def __init__(self, channel: str):
        self.channel = channel

    def send(self, message: Message) -> str | None:
        if message.kind == SIGN_IN_CODE:
            log.warning(
                "development_sign_in_code",
                development_only=DEVELOPMENT_ONLY,
                channel=self.channel,
                to=masked_address(message.address),
                text=message.body,
            )
        return f"outbox-{message.id}"


class _Http:
    provider = "http"

    def __init__(self, timeout: float = DEFAULT_TIMEOUT):
        self.timeout = timeout
        self.http = requests.Session()

    def _post(self, url: str, **kwargs) -> dict:
        try:
            answer = self.http.post(url, timeout=self.timeout, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            raise ProviderDown(f"{self.provider}: {type(exc).__name__}") from exc
        if answer.status_code == 429 or answer.status_code >= 500:
            raise ProviderDown(f"{self.provider} answered {answer.status_code}")
        if answer.status_code >= 300:
            raise Refused(f"{self.provider} answered {answer.status_code}: {answer.text[:200]}")
        try:
            body = answer.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}


class JsonSmsChannel(_Http):
    channel = SMS
    provider = "json-sms"

    def __init__(self, url: str, token: str, sender: str = "", timeout: float = DEFAULT_TIMEOUT):
        super().__init__(timeout)
        self.url, self.token, self.sender = url, token, sender

    def send(self, message: Message) -> str | None:
        body = {"to": e164(message.address), "text": message.body, "reference": message.id}
        if self.sender:
            body["from"] = self.sender
        answer = self._post(
            self.url,
            json=body,
            headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": message.id},
        )
        return _id(answer.get("id") or answer.get("message_id"))


class TwilioSmsChannel(_Http):
    channel = SMS
    provider = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        base_url: str = TWILIO_API,
        timeout: float = DEFAULT_TIMEOUT,
    ):
        super().__init__(timeout)
        self.account_sid, self.auth_token, self.sender = account_sid, auth_token, sender
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"

    def send(self, message: Message) -> str | None:
        sender_field = "MessagingServiceSid" if self.sender.startswith("MG") else "From"
        answer = self._post(
            self.url,
            data={"To": e164(message.address), sender_field: self.sender, "Body": message.body},
            auth=(self.account_sid, self.auth_token),
        )
        return _id(answer.get("sid"))


class WhatsAppCloudChannel(_Http):
    channel = WHATSAPP
    provider = "whatsapp-cloud"

    def __init__(
        self,
        phone_number_id: str,
        token: str,
        template: str,
        base_url: str = WHATSAPP_API,
        timeout: float = DEFAULT_TIMEOUT,
    ):
        super().__init__(timeout)
        self.token, self.template = token, template
        self.url = f"{base_url.rstrip('/')}/{phone_number_id}/messages"

    def send(self, message: Message) -> str | None:
        text = " ".join(message.body.split())  # a template parameter holds no new lines
        answer = self._post(
            self.url,
            json={
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": e164(message.address).lstrip("+"),
                "type": "template",
                "template": {
                    "name": self.template,
                    "language": {"code": message.language},
                    "components": [
                        {"type": "body", "parameters": [{"type": "text", "text": text}]}
                    ],
                },
            },
            headers={"Authorization": f"Bearer {self.token}"},
        )
        sent = answer.get("messages") or [{}]
        return _id(sent[0].get("id") if isinstance(sent[0], dict) else None)


class SmtpEmailChannel:
    channel = EMAIL
    provider = "smtp"

    def __init__(self, url: str, sender: str, timeout: float = DEFAULT_TIMEOUT):
        parts = urlsplit(url)
        self.secure = parts.scheme == "smtps"
        self.starttls = parse_qs(parts.query).get("starttls", ["false"])[0] == "true"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.secure else 25)
        self.user = unquote(parts.username or "")
        self.password = unquote(parts.password or "")
        self.sender, self.timeout = sender, timeout

    def send(self, message: Message) -> str | None:
        mail = EmailMessage()
        mail["From"], mail["To"] = self.sender, message.address
        mail["Subject"] = SUBJECTS.get(message.language, SUBJECTS[INDONESIAN])
        mail["Message-ID"] = f"<{message.id}@pmi-notifications>"
        mail.set_content(message.body)
        try:
            if self.secure:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise Refused(
                f"smtp refused the recipient: {list(exc.recipients.values())[:1]}"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ProviderDown(f"smtp: {type(exc).__name__}") from exc
        return mail["Message-ID"]


def _id(value) -> str | None:
    return str(value)[:128] if value else None


# from the configuration ----------------------------------------------------------------------


def channels_from(config: Mapping) -> dict[str, Channel]:
    """The channels the configuration gives: SMS always (the local outbox in development when no
    provider is named), WhatsApp and e-mail when configured (in development: the outbox)."""
    timeout = float(config.get("NOTIFY_HTTP_TIMEOUT") or DEFAULT_TIMEOUT)
    development = production.is_development(config)
    found: dict[str, Channel] = {}
    provider = (config.get("NOTIFY_SMS_PROVIDER") or "").strip().lower()
    if provider == "json":
        found[SMS] = JsonSmsChannel(
            config["NOTIFY_SMS_URL"],
            config.get("NOTIFY_SMS_TOKEN", ""),
            config.get("NOTIFY_SMS_SENDER", ""),
            timeout,
        )
    elif provider == "twilio":
        found[SMS] = TwilioSmsChannel(
            config.get("NOTIFY_SMS_ACCOUNT", ""),
            config.get("NOTIFY_SMS_TOKEN", ""),
            config.get("NOTIFY_SMS_SENDER", ""),
            config.get("NOTIFY_SMS_URL") or TWILIO_API,
            timeout,
        )
    elif development:
        found[SMS] = OutboxChannel(SMS)
    if config.get("NOTIFY_WHATSAPP_PHONE_ID"):
        found[WHATSAPP] = WhatsAppCloudChannel(
            config["NOTIFY_WHATSAPP_PHONE_ID"],
            config.get("NOTIFY_WHATSAPP_TOKEN", ""),
            config.get("NOTIFY_WHATSAPP_TEMPLATE") or "pmi_notice",
            config.get("NOTIFY_WHATSAPP_URL") or WHATSAPP_API,
            timeout,
        )
    elif development:
        found[WHATSAPP] = OutboxChannel(WHATSAPP)
    if config.get("NOTIFY_SMTP_URL"):
        found[EMAIL] = SmtpEmailChannel(
            config["NOTIFY_SMTP_URL"], config.get("NOTIFY_EMAIL_FROM") or "pmi@localhost", timeout
        )
    elif development:
        found[EMAIL] = OutboxChannel(EMAIL)
    return found


def production_problems(config: Mapping) -> list[str]:
    """Why the notifications service may not start in production with ``config``: an SMS
    provider must be named and reachable over HTTPS with a real token, and replies must be
    signed with a key of its own."""
    if production.is_development(config):
        return []
    found: list[str] = []
    provider = (config.get("NOTIFY_SMS_PROVIDER") or "").strip().lower()
    if provider not in SMS_PROVIDERS:
        found.append(
            f"NOTIFY_SMS_PROVIDER is {provider or 'not set'}: name the SMS provider "
            f"({' or '.join(SMS_PROVIDERS)}); the local outbox sends nothing (and writes sign-in "
            "codes to the log)"
        )
    else:
        url = config.get("NOTIFY_SMS_URL") or (TWILIO_API if provider == "twilio" else "")
        if not url.startswith("https://"):
            found.append("NOTIFY_SMS_URL must be the provider's https:// address")
        if provider == "twilio" and not config.get("NOTIFY_SMS_ACCOUNT"):
            found.append("NOTIFY_SMS_ACCOUNT (the Twilio account SID) is not set")
        inbound = config.get("NOTIFY_TWILIO_INBOUND_URL") or ""
        if provider == "twilio" and not inbound.startswith("https://"):
            found.append(
                "NOTIFY_TWILIO_INBOUND_URL (the https:// webhook Twilio calls with replies such "
                "as BERHENTI) is not set"
            )
        if production.weakness(config.get("NOTIFY_SMS_TOKEN"), production.MIN_PASSWORD_LENGTH):
            found.append("NOTIFY_SMS_TOKEN is missing, a known default or too short")
        if not config.get("NOTIFY_SMS_SENDER"):
            found.append("NOTIFY_SMS_SENDER (the sender id or number) is not set")
    if config.get("NOTIFY_WHATSAPP_PHONE_ID") and production.weakness(
        config.get("NOTIFY_WHATSAPP_TOKEN"), production.MIN_PASSWORD_LENGTH
    ):
        found.append("NOTIFY_WHATSAPP_TOKEN is missing, a known default or too short")
    problem = production.key_problem("NOTIFY_INBOUND_SECRET", config.get("NOTIFY_INBOUND_SECRET"))
    if problem:
        found.append(problem + " (the key replies such as BERHENTI are signed with)")
    return found


def new_message_id() -> str:
    return str(uuid.uuid4())
