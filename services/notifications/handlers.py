"""The notifications service's handlers: decide with the domain what to say to whom and when,
store it through the repository as a message to send. The tables at the bottom list every one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pmi_common import contract as c
from pmi_common.errors import Forbidden, InvalidInput, NotFound
from pmi_common.events import Event
from pmi_common.lifecycle import DECEASED
from pmi_common.validation import load

from . import domain as d
from .channels import e164, new_message_id
from .notices import (
    CASE_STEP_EVENTS,
    REPATRIATED,
    CaseReporter,
    FamilyContact,
    Session,
    case_audience,
    case_step,
    emergency_contacts,
    family_notice,
    notice_for,
    reminder_for,
)
from .schemas import Choices, DeliveryReport, MessagesQuery, Reply, TwilioCall, UsageQuery
from .templates import first_name, render

if TYPE_CHECKING:
    from pmi_common.unit_of_work import UnitOfWork

    from .repository import NotificationsRepository

    Work = UnitOfWork[NotificationsRepository]


@dataclass(frozen=True)
class Settings:
    desk: str = "LTSA PMI"  # where the worker goes: named in messages
    daily_cap: int = d.DEFAULT_DAILY_CAP
    zone: str = d.DISTRICT_TIMEZONE
    channels: tuple[str, ...] = (d.SMS,)  # the channels with a provider
    inbound_secret: str = ""
    # what a message costs the office, in rupiah, per channel (an SMS: per segment)
    costs: Mapping[str, float] = field(default_factory=dict)
    # Twilio's webhook: the account's auth token it signs with, and its URL as set at Twilio
    twilio_auth_token: str = ""
    twilio_inbound_url: str = ""


# events ---------------------------------------------------------------------------------------


def needs_contact(event: Event) -> bool:
    """Whether the event may give its worker a message (the service then asks registration for
    the worker's current phone first)."""
    if event.event_type == c.WORKER_STATUS_CHANGED:
        return event.data["to_status"] == "cleared_for_departure"
    if event.event_type == c.CASE_OUTCOME_RECORDED:
        outcome, sensitive = event.data["outcome"], event.data["sensitive"]
        return outcome == REPATRIATED and not sensitive and bool(event.worker_id)
    return event.event_type in {**MESSAGES, **FAMILY_MESSAGES} and bool(event.worker_id)


def needs_family(event: Event) -> bool:
    """Whether the event may be told to the worker's family (the service then asks registration
    for the family list, and protection who reported a case)."""
    return event.event_type in FAMILY_MESSAGES and needs_contact(event)


def needs_case_reporter(event: Event) -> bool:
    return event.event_type in CASE_STEP_EVENTS and needs_contact(event)


def on_session_scheduled(uow: Work, event: Event, contact, now, settings) -> list[d.Message]:
    data = event.data
    uow.repository.keep_session(Session(data["session_id"], data["starts_at"], data["location"]))
    return []


def on_program_created(uow: Work, event: Event, contact, now, settings) -> list[d.Message]:
    data = event.data
    uow.repository.keep_programme(
        data["program_id"], data["name"], data["audience"], data["starts_on"]
    )
    return []


def on_worker_event(
    uow: Work,
    event: Event,
    contact: Mapping | None,
    now: dt.datetime,
    settings: Settings,
) -> list[d.Message]:
    """The message an event about a worker gives them, if any: stored once (an event applied
    again, or heard twice, gives none the second time). ``contact`` is registration's record of
    the worker (its phone and name; nothing else is read from it)."""
    repository = uow.repository
    session_id = event.data.get("session_id")
    session = repository.session_heard(session_id) if session_id else None
    programme = _programme_for(repository, event, now, settings)
    notice = notice_for(event.event_type, event.data, session=session, programme=programme)
    if notice is None or not event.worker_id:
        return []
    if _deceased(contact):
        return []
    person = _person(repository, event.worker_id, contact, now)
    if person is None:
        return []
    message = compose(
        person, notice.kind, notice.context, event.event_id, now, settings, repository
    )
    return [message] if repository.add_message(message) else []


def on_case_step(
    uow: Work, event: Event, contact: Mapping | None, now: dt.datetime, settings: Settings
) -> list[d.Message]:
    """A protection case's step (received, assessed, referred, resolved...) told to the worker
    and to the family member who reported it, by the case's number only; a sensitive case's to
    the worker alone in neutral words (``notices.case_audience`` holds the rule). ``contact``
    carries the ``family`` list and protection's record of the ``case``'s reporter."""
    if not event.worker_id or contact is None or not contact.get("case"):
        return []
    repository = uow.repository
    reporter = CaseReporter(**contact["case"])
    audience = case_audience(event.data, reporter, contact.get("family") or [])
    context = {"number": reporter.case_number, "step": case_step(event.event_type, event.data)}
    people = []
    if audience.worker and not _deceased(contact):
        people.append(_person(repository, event.worker_id, contact, now))
    if audience.reporter is not None:
        people.append(_family_person(repository, audience.reporter, now))
    return _told(repository, people, audience.kind, context, event, now, settings)


def on_family_news(
    uow: Work, event: Event, contact: Mapping | None, now: dt.datetime, settings: Settings
) -> list[d.Message]:
    """A worker's death or repatriation recorded, told to each emergency contact the worker
    consented to their being contacted (``notices.family_notice`` says what is told)."""
    if not event.worker_id or contact is None:
        return []
    notice = family_notice(event.event_type, event.data, first_name(contact.get("full_name")))
    if notice is None:
        return []
    repository = uow.repository
    people = [
        _family_person(repository, member, now)
        for member in emergency_contacts(contact.get("family") or [])
    ]
    return _told(repository, people, notice.kind, notice.context, event, now, settings)


def _told(
    repository: NotificationsRepository,
    people: Sequence[d.Person | None],
    kind: str,
    context: dict,
    event: Event,
    now: dt.datetime,
    settings: Settings,
) -> list[d.Message]:
    """The message of ``kind`` to each of ``people``, once per address: a phone the worker and
    her mother share (or two of the family) gets it once, the first one's."""
    made, reached = [], set()
    for person in people:
        if person is None:
            continue
        message = compose(person, kind, context, event.event_id, now, settings, repository)
        where = (message.channel, _same_address(message.address))
        if where in reached:
            continue
        if message.status == d.PENDING:
            reached.add(where)
        if repository.add_message(message):
            made.append(message)
    return made


def _same_address(address: str) -> str:
    return address.lower() if "@" in address else e164(address)


def on_enrolled(uow: Work, event: Event, contact, now, settings) -> list[d.Message]:
    """A seat taken: said at once, and kept for the reminder the day before."""
    data = event.data
    if event.worker_id:
        uow.repository.add_enrolment(
            d.Enrolment(event.event_id, event.worker_id, data["session_id"], data["starts_at"])
        )
    return on_worker_event(uow, event, contact, now, settings)


def on_seat_ended(uow: Work, event: Event, contact, now, settings) -> list[d.Message]:
    """A seat released (or the session cancelled) or attended: no reminder for it any more."""
    if event.worker_id:
        uow.repository.end_enrolments(event.worker_id, event.data["session_id"], now)
    return on_worker_event(uow, event, contact, now, settings)


REMINDER_BATCH = 100


def remind_sessions(
    uow: Work, now: dt.datetime, settings: Settings, batch: int = REMINDER_BATCH
) -> tuple[int, list[d.Message]]:
    """The reminders, the day before, of the OPP sessions tomorrow whose seats are still held:
    one per enrolment (kept under ``Enrolment.reminder_id``), after the quiet hours and within
    the daily cap like any other message; a batch at a time (run again until none is taken):
    how many seats were taken, and the reminders made."""
    repository = uow.repository
    start, end = d.tomorrow(now, settings.zone)
    made: list[d.Message] = []
    taken = repository.enrolments_to_remind(start, end, batch)
    for enrolment in taken:
        due = enrolment.reminder_due(now, settings.zone)
        enrolment.reminded_at = now
        if not due:
            continue
        person = repository.person(enrolment.worker_id, lock=True)
        if person is None:
            continue
        heard = repository.session_heard(enrolment.session_id)
        session = Session(
            enrolment.session_id, enrolment.starts_at, heard.location if heard else ""
        )
        notice = reminder_for(session)
        message = compose(
            person, notice.kind, notice.context, enrolment.reminder_id, now, settings, repository
        )
        if repository.add_message(message):
            made.append(message)
    return len(taken), made


def _programme_for(
    repository: NotificationsRepository, event: Event, now: dt.datetime, settings: Settings
) -> str | None:
    """The programme a returnee is invited to: the next open to returnees from today, or, for
    a worker whose contract is ending, from the day it ends (reintegration's own outreach)."""
    if event.event_type == c.WORKER_RETURNED:
        return repository.programme_for_returnee(d.day_of(now, settings.zone))
    if event.event_type == c.CONTRACT_ENDING:
        return repository.programme_for_returnee(event.data["ends_on"])
    return None


def _person(
    repository: NotificationsRepository, worker_id: str, contact: Mapping | None, now: dt.datetime
) -> d.Person | None:
    """The person, with the phone registration has for them now."""
    person = repository.person(worker_id, lock=True)
    if contact is None:
        return person
    phone, name = contact.get("phone") or None, first_name(contact.get("full_name"))
    if person is None:
        person = d.Person(worker_id=worker_id, phone=phone, first_name=name, updated_at=now)
        repository.add_person(person)
    elif (person.phone, person.first_name) != (phone, name):
        person.phone, person.first_name, person.updated_at = phone, name, now
    return person


def _deceased(contact: Mapping | None) -> bool:
    """Whether registration has recorded the worker's death: her phone is written to no more
    (it may be in her family's hands; they hear what the family is told)."""
    return contact is not None and contact.get("status") == DECEASED


def _family_person(
    repository: NotificationsRepository, member: FamilyContact, now: dt.datetime
) -> d.Person:
    """A family contact as someone written to, under the member's own id: the phone and the
    worker's consent as registration has them now, and the member's own opt-out (BERHENTI from
    their number stops them, not the worker)."""
    person = repository.person(member.member_id, lock=True)
    name = first_name(member.full_name)
    if person is None:
        person = d.Person(
            worker_id=member.member_id,
            phone=member.phone,
            first_name=name,
            consent=member.consent_to_contact,
            updated_at=now,
        )
        repository.add_person(person)
    elif (person.phone, person.first_name, person.consent) != (
        member.phone,
        name,
        member.consent_to_contact,
    ):
        person.phone, person.first_name = member.phone, name
        person.consent, person.updated_at = member.consent_to_contact, now
    return person


def compose(
    person: d.Person,
    kind: str,
    context: dict,
    event_id: str,
    now: dt.datetime,
    settings: Settings,
    repository: NotificationsRepository,
) -> d.Message:
    """The message of ``kind`` for ``person``: in their language, on their channel (SMS when
    theirs has no provider), due after the quiet hours and within the daily cap; kept as
    suppressed, never sent, when they cannot or do not want to be written to."""
    channel = person.channel if person.channel in settings.channels else d.SMS
    body = render(
        kind, person.language, {**context, "name": person.first_name, "desk": settings.desk}
    )
    counted = d.segments(body)
    due = d.release_time(now, kind, settings.zone)
    start = dt.datetime.combine(d.day_of(due, settings.zone), dt.time(0), ZoneInfo(settings.zone))
    due = d.within_cap(
        due,
        kind,
        repository.counted_between(person.worker_id, start, start + dt.timedelta(days=1)),
        settings.daily_cap,
        settings.zone,
    )
    reachable = person.reachable(kind) and person.address(channel) is not None
    return d.Message(
        id=new_message_id(),
        event_id=event_id,
        worker_id=person.worker_id,
        channel=channel,
        kind=kind,
        language=person.language,
        body=body,
        address=person.address(channel) or "",
        segments=counted.count,
        encoding=counted.encoding,
        due_at=due,
        created_at=now,
        status=d.PENDING if reachable else d.SUPPRESSED,
        last_error=None if reachable else _why_not(person, channel),
    )


def sign_in_code(
    uow: Work,
    worker_id: str,
    contact: Mapping | None,
    code: str,
    reference: str,
    now: dt.datetime,
    settings: Settings,
) -> d.Message | None:
    """The message carrying a sign-in code the worker asked for in her app, due now (no quiet
    hours, no cap, even after BERHENTI), on her channel. Not stored: the caller sends it at once
    and keeps it with the code blanked (``domain.without_code``). None: no one to write to."""
    person = _person(uow.repository, worker_id, contact, now)
    if person is None:
        return None
    return compose(person, d.SIGN_IN_CODE, {"code": code}, reference, now, settings, uow.repository)


def _why_not(person: d.Person, channel: str) -> str:
    if person.address(channel) is None:
        return f"no address for {channel}"
    return "opted out" if person.opted_out_at else "no consent"


# commands ------------------------------------------------------------------------------------


def set_choices(uow: Work, worker_id: str, command: dict, now: dt.datetime) -> d.Person:
    data = load(Choices(), command)
    person = uow.repository.person(worker_id, lock=True)
    if person is None:
        raise NotFound("belum ada pesan untuk pekerja ini (no messages for this worker yet)")
    if data.get("channel") == d.EMAIL and not (data.get("email") or person.email):
        raise InvalidInput(
            "e-mail perlu alamat (e-mail needs an address)", {"email": ["required for e-mail"]}
        )
    for name in ("channel", "language", "email"):
        if name in data:
            setattr(person, name, data[name])
    if "consent" in data:
        if data["consent"]:
            person.opt_in(now)
        else:
            person.consent = False
    person.updated_at = now
    return person


def receive_reply(uow: Work, command: dict, now: dt.datetime, settings: Settings) -> dict:
    """A reply forwarded by the provider's relay: BERHENTI or STOP opts its sender out of every
    message but sign-in codes, MULAI or START back in. Unsigned or stale: refused, nothing read."""
    data = load(Reply(), command)
    if not settings.inbound_secret or not d.genuine_reply(
        settings.inbound_secret,
        data["timestamp"],
        data["sender"],
        data["text"],
        data["signature"],
        now,
    ):
        raise InvalidInput(
            "balasan tidak bertanda tangan sah (reply not validly signed)",
            {"signature": ["does not match, or the timestamp is not within five minutes"]},
        )
    intent = d.reply_intent(data["text"])
    people = _people_with(uow.repository, data["sender"]) if intent else []
    for person in people:
        person.opt_out(now) if intent == "opt_out" else person.opt_in(now)
    return {"intent": intent, "people": len(people)}


def receive_delivery_report(uow: Work, command: dict, now: dt.datetime, settings: Settings) -> dict:
    """A provider's delivery report (delivered or failed) of a message it was given, forwarded
    by its relay and signed like a reply: kept on the message (the worker's log shows it); an
    older report arriving after a newer one changes nothing. Unsigned or stale: refused. A
    provider id not known (yet: the report may overtake the record of the sending) is not found,
    for the relay to try again."""
    data = load(DeliveryReport(), command)
    pid, status = data["provider_message_id"], data["status"]
    if not d.genuine_report(
        settings.inbound_secret, data["timestamp"], pid, status, data["signature"], now
    ):
        raise InvalidInput(
            "laporan tidak bertanda tangan sah (report not validly signed)",
            {"signature": ["does not match, or the timestamp is not within five minutes"]},
        )
    message = uow.repository.message_sent_as(pid, lock=True)
    if message is None:
        raise NotFound("tidak ada pesan dengan nomor itu (no message with that provider id)")
    at = d.signed_at(data["timestamp"], now) or now
    changed = message.reported(status, at, data["error"])
    return {
        "message_id": message.id,
        "delivery_status": message.delivery_status,
        "changed": changed,
    }


def receive_twilio(uow: Work, command: dict, now: dt.datetime, settings: Settings) -> dict:
    """A call of Twilio's webhook, signed with the account's auth token over the webhook's URL
    (``NOTIFY_TWILIO_INBOUND_URL``, as set at Twilio) and every parameter: an incoming SMS
    (``From``, ``Body``) is a reply (BERHENTI or STOP opts its sender out, MULAI or START back
    in), a status callback (``MessageSid``, ``MessageStatus``) a delivery report. Unsigned:
    refused, nothing read."""
    data = load(TwilioCall(), command)
    params = data["params"]
    if not d.genuine_twilio(
        settings.twilio_auth_token, settings.twilio_inbound_url, params, data["signature"]
    ):
        raise Forbidden(
            "panggilan tidak bertanda tangan Twilio yang sah (not validly signed by Twilio)",
            {"signature": ["X-Twilio-Signature does not match the URL and parameters"]},
        )
    if "Body" not in params and params.get("MessageStatus"):
        return _twilio_status(uow.repository, params, now)
    intent = d.reply_intent(params.get("Body", ""))
    sender = params.get("From", "").removeprefix("whatsapp:")
    people = _people_with(uow.repository, sender) if intent and sender else []
    for person in people:
        person.opt_out(now) if intent == "opt_out" else person.opt_in(now)
    return {"intent": intent, "people": len(people)}


def _twilio_status(repository: NotificationsRepository, params: dict, now: dt.datetime) -> dict:
    """Twilio's status callback as the message's delivery report: delivered, or undelivered
    or failed with Twilio's error code; a status on the way changes nothing."""
    status = d.TWILIO_STATUSES.get(params["MessageStatus"])
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    message = repository.message_sent_as(sid, lock=True) if sid else None
    if message is None:
        raise NotFound("tidak ada pesan dengan nomor itu (no message with that provider id)")
    error = f"Twilio error {params['ErrorCode']}" if params.get("ErrorCode") else None
    changed = status is not None and message.reported(status, now, error)
    return {
        "message_id": message.id,
        "delivery_status": message.delivery_status,
        "changed": changed,
    }


def _people_with(repository: NotificationsRepository, phone: str) -> list[d.Person]:
    """People recorded with this number, however it was written (08..., 62..., +62...)."""
    wanted = e164(phone)
    forms = {wanted, wanted.lstrip("+")}
    if wanted.startswith("+62"):
        forms.add("0" + wanted[3:])
    found: dict[str, d.Person] = {}
    for form in sorted(forms):
        for person in repository.people_with_phone(form):
            found[person.worker_id] = person
    return list(found.values())


# queries -------------------------------------------------------------------------------------


def messages_of(
    repository: NotificationsRepository, worker_id: str, query: dict
) -> list[d.Message]:
    params = load(MessagesQuery(), query or {})
    return repository.messages_of(worker_id, params["limit"])


def usage(repository: NotificationsRepository, query: dict, settings: Settings) -> dict:
    """The month's messages and their cost per channel, for the office's budget: those sent
    (an SMS billed by its segments), reported delivered or not, and those given up on."""
    month = load(UsageQuery(), query or {})["month"]
    start, end = d.month_bounds(month, settings.zone)
    sent, failed = repository.sent_between(start, end), repository.failed_between(start, end)
    rows = []
    for channel in d.CHANNELS:
        got = sent.get(channel, {"sent": 0, "segments": 0, "delivered": 0, "undelivered": 0})
        unit_cost = float(settings.costs.get(channel, 0.0))
        rows.append(
            {
                "channel": channel,
                **got,
                "failed": failed.get(channel, 0),
                "billed_units": d.billed_units(channel, got["sent"], got["segments"]),
                "unit_cost": unit_cost,
                "cost": d.channel_cost(channel, got["sent"], got["segments"], settings.costs),
            }
        )
    return {
        "month": month,
        "currency": d.CURRENCY,
        "channels": rows,
        "total_cost": sum(row["cost"] for row in rows),
    }


HOURS_SHOWN = 24


def overview(
    repository: NotificationsRepository,
    now: dt.datetime,
    settings: Settings,
    providers: Mapping[str, dict],
) -> dict:
    """The console's view: each channel's provider and its health (the last round's outcome),
    the messages waiting (and due now), and per hour of the last day those sent, delivered
    (by the provider's report) and failed."""
    hour = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    since = hour - dt.timedelta(hours=HOURS_SHOWN - 1)
    waiting = repository.waiting(now)
    buckets = [since + dt.timedelta(hours=n) for n in range(HOURS_SHOWN)]
    counts: dict[tuple[str, str, dt.datetime], int] = {}
    for channel, outcome, at in repository.outcomes_since(since):
        key = (channel, outcome, at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0))
        counts[key] = counts.get(key, 0) + 1
    rows = []
    for channel in settings.channels:
        pending, due = waiting.get(channel, (0, 0))
        rows.append(
            {
                "channel": channel,
                **providers.get(channel, {}),
                "waiting": pending,
                "due": due,
                "hours": [
                    {
                        "hour": at.isoformat(),
                        **{
                            outcome: counts.get((channel, outcome, at), 0)
                            for outcome in (d.SENT, d.DELIVERED, d.FAILED)
                        },
                    }
                    for at in buckets
                ],
            }
        )
    return {"checked_at": now.isoformat(), "channels": rows}


def choices_of(repository: NotificationsRepository, worker_id: str) -> d.Person:
    person = repository.person(worker_id)
    if person is None:
        raise NotFound("belum ada pesan untuk pekerja ini (no messages for this worker yet)")
    return person


MESSAGES = {
    c.WORKER_REGISTERED: on_worker_event,
    c.WORKER_STATUS_CHANGED: on_worker_event,
    c.WORKER_RETURNED: on_worker_event,
    c.DOCUMENT_REJECTED: on_worker_event,
    c.DOCUMENTS_COMPLETED: on_worker_event,
    c.ORIENTATION_ENROLLED: on_enrolled,
    c.ORIENTATION_RELEASED: on_seat_ended,
    c.ORIENTATION_COMPLETED: on_seat_ended,
    c.CONTRACT_ENDING: on_worker_event,
    c.DOCUMENT_EXPIRING: on_worker_event,
    c.LETTER_ISSUED: on_worker_event,
}
# events told to the worker's family (and, for a case's steps, to the worker)
FAMILY_MESSAGES = {
    c.CASE_OPENED: on_case_step,
    c.CASE_STATUS_CHANGED: on_case_step,
    c.CASE_OUTCOME_RECORDED: on_family_news,
    c.WORKER_DIED: on_family_news,
}
EVENTS = {
    **MESSAGES,
    **FAMILY_MESSAGES,
    c.SESSION_SCHEDULED: on_session_scheduled,
    c.PROGRAM_CREATED: on_program_created,
}
COMMANDS = {
    "set_choices": set_choices,
    "receive_reply": receive_reply,
    "receive_delivery_report": receive_delivery_report,
    "receive_twilio": receive_twilio,
}
QUERIES = {
    "messages_of": messages_of,
    "choices_of": choices_of,
    "usage": usage,
    "overview": overview,
}
