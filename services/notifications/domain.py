"""What the notifications service decides, in plain Python: how many SMS segments a text costs,
when a message may go (quiet hours, the daily cap), who may be written to (consent, opt-out by
replying BERHENTI or STOP), and when a failed attempt is tried again."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from pmi_common.names import NOTIFICATION_CHANNELS

# channels and languages ----------------------------------------------------------------------

CHANNELS = NOTIFICATION_CHANNELS  # as the contract names them (notification_sent)
SMS, WHATSAPP, EMAIL = CHANNELS
INDONESIAN, ENGLISH = "id", "en"
LANGUAGES = (INDONESIAN, ENGLISH)  # Bahasa Indonesia first

# a message's life
PENDING, SENT, FAILED, SUPPRESSED = "pending", "sent", "failed", "suppressed"
STATUSES = (PENDING, SENT, FAILED, SUPPRESSED)
# what the provider reported of a sent message (its delivery report)
DELIVERED, UNDELIVERED = "delivered", "failed"
DELIVERY_STATUSES = (DELIVERED, UNDELIVERED)

# what is said (a template each, in both languages)
REGISTERED = "registered"
DOCUMENT_REJECTED = "document_rejected"
DOCUMENTS_COMPLETED = "documents_completed"
SEAT_TAKEN = "seat_taken"
SEAT_RELEASED = "seat_released"
SESSION_CANCELLED = "session_cancelled"
CERTIFICATE_ISSUED = "certificate_issued"
CLEARED_FOR_DEPARTURE = "cleared_for_departure"
WELCOME_HOME = "welcome_home"
CONTRACT_ENDING = "contract_ending"
DOCUMENT_EXPIRING = "document_expiring"
SESSION_REMINDER = "session_reminder"
SIGN_IN_CODE = "sign_in_code"
EMERGENCY = "emergency"
LETTER_READY = "letter_ready"
CASE_UPDATE = "case_update"  # a step of a protection case, to the worker and the reporter
CASE_NEWS = "case_news"  # the same of a sensitive case: to the worker only, in neutral words
FAMILY_BEREAVEMENT = "family_bereavement"  # a worker's death recorded: to the family
FAMILY_REPATRIATED = "family_repatriated"  # a worker brought home: to the family
KINDS = (
    REGISTERED,
    DOCUMENT_REJECTED,
    DOCUMENTS_COMPLETED,
    SEAT_TAKEN,
    SEAT_RELEASED,
    SESSION_CANCELLED,
    CERTIFICATE_ISSUED,
    CLEARED_FOR_DEPARTURE,
    WELCOME_HOME,
    CONTRACT_ENDING,
    DOCUMENT_EXPIRING,
    SESSION_REMINDER,
    SIGN_IN_CODE,
    EMERGENCY,
    LETTER_READY,
    CASE_UPDATE,
    CASE_NEWS,
    FAMILY_BEREAVEMENT,
    FAMILY_REPATRIATED,
)
# sent at once, whatever the hour and however many were sent today
URGENT = frozenset({SIGN_IN_CODE, EMERGENCY})


# SMS segments --------------------------------------------------------------------------------

# GSM 03.38: the basic character set (one septet each) and its extension table (an escape and
# the character: two septets each)
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM7, UCS2 = "GSM-7", "UCS-2"
SINGLE = {GSM7: 160, UCS2: 70}  # units in a message sent whole
PART = {GSM7: 153, UCS2: 67}  # units in each part of a concatenated message (the rest: its UDH)


@dataclass(frozen=True)
class Segments:
    encoding: str  # GSM-7 or UCS-2
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    count: int  # the SMS a provider bills


def segments(text: str) -> Segments:
    """The encoding and segments an SMS of ``text`` takes. GSM-7 when every character is in the
    GSM alphabet (an extension character counts two septets), else UCS-2 (UTF-16: a character
    outside the BMP, an emoji, counts two). A concatenated message's parts never split an
    escape sequence nor a surrogate pair: such a character starts the next part."""
    if all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text):
        encoding, widths = GSM7, [2 if ch in GSM_EXTENSION else 1 for ch in text]
    else:
        encoding, widths = UCS2, [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    units = sum(widths)
    if units <= SINGLE[encoding]:
        return Segments(encoding, units, 1 if units else 0)
    count, used = 1, 0
    for width in widths:
        if used + width > PART[encoding]:
            count, used = count + 1, 0
        used += width
    return Segments(encoding, units, count)


# quiet hours and the daily cap ---------------------------------------------------------------

DISTRICT_TIMEZONE = "Asia/Jakarta"  # WIB
QUIET_FROM = dt.time(21, 0)
QUIET_UNTIL = dt.time(7, 0)
DEFAULT_DAILY_CAP = 3


def release_time(due: dt.datetime, kind: str, zone: str = DISTRICT_TIMEZONE) -> dt.datetime:
    """When a message due at ``due`` may go: at once, unless it falls in the quiet hours
    (21:00-07:00 in the district's zone), then at 07:00; urgent kinds at once always."""
    if kind in URGENT:
        return due
    local = due.astimezone(ZoneInfo(zone))
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return due
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, QUIET_UNTIL, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def day_of(at: dt.datetime, zone: str = DISTRICT_TIMEZONE) -> dt.date:
    return at.astimezone(ZoneInfo(zone)).date()


def within_cap(
    at: dt.datetime,
    kind: str,
    scheduled_that_day: int,
    cap: int = DEFAULT_DAILY_CAP,
    zone: str = DISTRICT_TIMEZONE,
) -> dt.datetime:
    """When a message released at ``at`` goes, given how many of the person's messages already
    go that day: past the cap it waits for the next day's 07:00 (the count of that day is the
    caller's to check again). Urgent kinds are not counted against the cap."""
    if kind in URGENT or scheduled_that_day < cap:
        return at
    next_day = day_of(at, zone) + dt.timedelta(days=1)
    return dt.datetime.combine(next_day, QUIET_UNTIL, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


# the reminder the day before an OPP session ---------------------------------------------------

REMINDERS = uuid.UUID("0b6f5d3e-2f4a-4c1e-9a57-6d1c8e2b7f40")


@dataclass
class Enrolment:
    """A seat the worker took in an OPP session (``orientation_enrolled``), until released or
    attended; reminded of once, the day before."""

    id: str  # the enrolling event's id
    worker_id: str
    session_id: str
    starts_at: dt.datetime
    ended_at: dt.datetime | None = None
    reminded_at: dt.datetime | None = None

    def reminder_due(self, now: dt.datetime, zone: str = DISTRICT_TIMEZONE) -> bool:
        """Whether to remind the worker now: the session is tomorrow (the district's day), the
        seat still held and no reminder given."""
        return (
            self.ended_at is None
            and self.reminded_at is None
            and day_of(self.starts_at, zone) == day_of(now, zone) + dt.timedelta(days=1)
        )

    @property
    def reminder_id(self) -> str:
        """The id the reminder is kept under in place of an event's: one per enrolment."""
        return str(uuid.uuid5(REMINDERS, f"session_reminder:{self.id}"))


def tomorrow(now: dt.datetime, zone: str = DISTRICT_TIMEZONE) -> tuple[dt.datetime, dt.datetime]:
    """The start and end of the district's next day, as moments."""
    day = day_of(now, zone) + dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(0), ZoneInfo(zone))
    return start, start + dt.timedelta(days=1)


# people's choices ----------------------------------------------------------------------------

OPT_OUT_WORDS = frozenset({"BERHENTI", "STOP", "UNSUBSCRIBE"})
OPT_IN_WORDS = frozenset({"MULAI", "START"})
_FIRST_WORD = re.compile(r"[A-Za-z]+")


def reply_intent(text: str) -> str | None:
    """``opt_out`` for a reply of BERHENTI or STOP (any case, any punctuation around it),
    ``opt_in`` for MULAI or START, else None (the reply is not a command: it is left alone)."""
    words = _FIRST_WORD.findall(text or "")
    if len(words) != 1:
        return None
    word = words[0].upper()
    if word in OPT_OUT_WORDS:
        return "opt_out"
    if word in OPT_IN_WORDS:
        return "opt_in"
    return None


@dataclass
class Person:
    """Someone the service writes to (a worker, by the worker's id), with their choices. The
    contact details come from registration's record; the choices are the person's own."""

    worker_id: str
    phone: str | None = None
    email: str | None = None
    first_name: str = ""
    language: str = INDONESIAN
    channel: str = SMS
    consent: bool = True
    opted_out_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    def address(self, channel: str) -> str | None:
        return self.email if channel == EMAIL else self.phone

    def reachable(self, kind: str) -> bool:
        """Whether a message of ``kind`` may be written now: an address on the chosen channel,
        consent, and no opt-out (a sign-in code the person asked for goes all the same)."""
        if self.address(self.channel) is None:
            return False
        if kind == SIGN_IN_CODE:
            return True
        return self.consent and self.opted_out_at is None

    def opt_out(self, at: dt.datetime) -> None:
        self.opted_out_at = self.opted_out_at or at
        self.updated_at = at

    def opt_in(self, at: dt.datetime) -> None:
        self.opted_out_at = None
        self.consent = True
        self.updated_at = at


# sending again -------------------------------------------------------------------------------

DEFAULT_RETRY_DELAYS = (30.0, 60.0, 300.0, 900.0, 3600.0)
MAX_ATTEMPTS = 12  # about half a day at the last delay: then the message is failed for the desk
LEASE = dt.timedelta(seconds=120)  # a sender that took a message and died: tried again after


def next_attempt(
    attempts: int, now: dt.datetime, delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS
) -> dt.datetime | None:
    """When to try a message again after its ``attempts``-th failed attempt; None: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    delay = delays[min(attempts, len(delays)) - 1]
    return now + dt.timedelta(seconds=delay)


@dataclass
class Message:
    """One message to one person on one channel, caused by one event: there is never a second
    for the same (event, person, channel)."""

    id: str
    event_id: str
    worker_id: str
    channel: str
    kind: str
    language: str
    body: str
    address: str
    segments: int
    encoding: str
    due_at: dt.datetime
    created_at: dt.datetime
    status: str = PENDING
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    last_error: str | None = None
    provider: str | None = None
    provider_message_id: str | None = None
    sent_at: dt.datetime | None = None
    # the provider's delivery report: delivered or failed, when it was so, and why not
    delivery_status: str | None = None
    delivery_reported_at: dt.datetime | None = None
    delivery_error: str | None = None

    def __post_init__(self) -> None:
        if self.next_attempt_at is None:
            self.next_attempt_at = self.due_at

    def delivered(self, provider: str, provider_message_id: str | None, at: dt.datetime) -> None:
        self.status, self.sent_at = SENT, at
        self.provider, self.provider_message_id = provider, provider_message_id
        self.attempts += 1
        self.last_error = None

    def reported(self, status: str, at: dt.datetime, error: str | None = None) -> bool:
        """The provider's delivery report of this sent message: kept unless an earlier one
        came later (reports cross in flight: the newest by the provider's time stands);
        whether it changed the message."""
        if self.status != SENT:
            return False
        if self.delivery_reported_at is not None and at < self.delivery_reported_at:
            return False
        self.delivery_status, self.delivery_reported_at = status, at
        self.delivery_error = (error or "")[:200] or None
        if status == DELIVERED:
            self.delivery_error = None
        return True

    def attempt_failed(
        self,
        error: str,
        at: dt.datetime,
        permanent: bool = False,
        delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
    ) -> None:
        self.attempts += 1
        self.last_error = error[:500]
        again = None if permanent else next_attempt(self.attempts, at, delays)
        if again is None:
            self.status = FAILED
        else:
            self.next_attempt_at = again


CODE_BLANK = "******"


def without_code(message: Message, code: str) -> Message:
    """A sign-in code's message as it is kept and shown: the code blanked. The code itself is
    never stored nor logged by this service (but by the local outbox of development, which
    sends nothing: ``channels.OutboxChannel``)."""
    return replace(message, body=message.body.replace(code, CODE_BLANK))


def masked_address(address: str) -> str:
    """An address as a log shows it: a phone's last three digits, an e-mail's domain."""
    if "@" in address:
        return "***@" + address.split("@", 1)[1]
    return "*" * max(len(address) - 3, 0) + address[-3:]


# replies, signed by the provider's relay -----------------------------------------------------

REPLY_TOLERANCE = dt.timedelta(minutes=5)


def reply_signature(secret: str, timestamp: str, sender: str, text: str) -> str:
    """HMAC-SHA256 (hex) of ``timestamp.sender.text`` under the inbound key."""
    signed = f"{timestamp}.{sender}.{text}".encode()
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def report_signature(secret: str, timestamp: str, provider_message_id: str, status: str) -> str:
    """HMAC-SHA256 (hex) of ``timestamp.provider_message_id.status`` under the inbound key."""
    signed = f"{timestamp}.{provider_message_id}.{status}".encode()
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signed_at(timestamp: str, now: dt.datetime) -> dt.datetime | None:
    """When a signed callback says it was made, if within five minutes of ``now``."""
    try:
        at = dt.datetime.fromtimestamp(int(timestamp), dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return at if abs(now - at) <= REPLY_TOLERANCE else None


def genuine_report(
    secret: str, timestamp: str, provider_message_id: str, status: str, signature: str, now
) -> bool:
    """Whether a delivery report was signed with the key, within five minutes of ``now``."""
    if not secret or signed_at(timestamp, now) is None:
        return False
    expected = report_signature(secret, timestamp, provider_message_id, status)
    return hmac.compare_digest(expected, (signature or "").removeprefix("sha256="))


def genuine_reply(
    secret: str, timestamp: str, sender: str, text: str, signature: str, now: dt.datetime
) -> bool:
    """Whether a reply was signed with the key, within five minutes of ``now``."""
    try:
        at = dt.datetime.fromtimestamp(int(timestamp), dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return False
    if abs(now - at) > REPLY_TOLERANCE:
        return False
    expected = reply_signature(secret, timestamp, sender, text)
    return hmac.compare_digest(expected, (signature or "").removeprefix("sha256="))


# Twilio's webhooks, signed with the account's auth token ----------------------------------------

# a message's status in Twilio's status callback, as the delivery report it is; the others
# (queued, sending, sent, accepted, scheduled...) are on the way and change nothing
TWILIO_STATUSES = {"delivered": DELIVERED, "undelivered": UNDELIVERED, "failed": UNDELIVERED}
_DEFAULT_PORTS = {"https": 443, "http": 80}


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """``X-Twilio-Signature``: base64 of HMAC-SHA1, under the auth token, of the webhook's full
    URL followed by every POST parameter's name and value, sorted by name."""
    signed = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _with_and_without_port(url: str) -> list[str]:
    """The URL without a port, and with its port (the scheme's default when it names none):
    Twilio signs the URL as it called it, which may or may not name the port."""
    parts = urlsplit(url)
    default = _DEFAULT_PORTS.get(parts.scheme)
    host = parts.hostname or ""
    if default is None or not host or parts.username or parts.password:
        return [url]
    bare = urlunsplit(parts._replace(netloc=host))
    ported = urlunsplit(parts._replace(netloc=f"{host}:{parts.port or default}"))
    return [bare, ported]


def genuine_twilio(auth_token: str, url: str, params: Mapping[str, str], signature: str) -> bool:
    """Whether a webhook call was signed by Twilio with the account's auth token. Twilio's
    signature holds no time: a call replayed is genuine, so what it does must be harmless done
    twice (an opt-out, a delivery report)."""
    if not auth_token or not url or not signature:
        return False
    return any(
        hmac.compare_digest(twilio_signature(auth_token, candidate, params), signature)
        for candidate in _with_and_without_port(url)
    )


# the office's budget: the month's count and cost per channel ---------------------------------

CURRENCY = "IDR"


def month_bounds(month: str, zone: str = DISTRICT_TIMEZONE) -> tuple[dt.datetime, dt.datetime]:
    """The district's month ``YYYY-MM`` as the moments it starts and ends."""
    year, number = (int(part) for part in month.split("-"))
    start = dt.datetime(year, number, 1, tzinfo=ZoneInfo(zone))
    after = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=ZoneInfo(zone))
    return start, after


def billed_units(channel: str, messages: int, segments: int) -> int:
    """What a provider bills: an SMS by its segments, any other message whole."""
    return segments if channel == SMS else messages


def channel_cost(channel: str, messages: int, segments: int, costs: Mapping[str, float]) -> float:
    """The cost, in rupiah, of ``messages`` sent on ``channel`` (``segments`` in all) at the
    configured cost per message (per segment for SMS)."""
    return billed_units(channel, messages, segments) * costs.get(channel, 0.0)


def sent_event(message: Message, costs: Mapping[str, float]) -> dict:
    """What ``notification_sent`` says of a message a provider took: its kind, channel,
    segments and cost in whole rupiah; never its address, its text or whom it was for."""
    cost = channel_cost(message.channel, 1, message.segments, costs)
    return {
        "kind": message.kind,
        "channel": message.channel,
        "segments": max(message.segments, 1),
        "cost_rupiah": int(cost + 0.5),
    }
