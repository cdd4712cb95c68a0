"""What the notifications service says on each event, in both languages: one SMS where it can,
never a NIK or a health detail, and each event's message kept once however often it is heard."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from pmi_common import contract as c
from pmi_common import nik_like
from pmi_common.events import Event
from services.notifications import domain as d
from services.notifications import handlers
from services.notifications.channels import OutboxChannel, ProviderDown
from services.notifications.sending import send_due
from services.notifications.templates import TEMPLATES, UnsafeMessage, render
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.fakes.notifications import FakeNotificationsRepository

WIB = dt.timezone(dt.timedelta(hours=7))
NOON = dt.datetime(2026, 5, 13, 12, tzinfo=WIB).astimezone(dt.UTC)
NIGHT = dt.datetime(2026, 5, 13, 23, tzinfo=WIB).astimezone(dt.UTC)
WORKER_ID = str(uuid.uuid4())
CONTACT = {"phone": "081234567890", "full_name": "Siti Aminah"}
NIK = "3505124107900001"
SETTINGS = handlers.Settings(desk="LTSA PMI Blitar", channels=(d.SMS, d.EMAIL))
SESSION_ID = str(uuid.uuid4())
STARTS_AT = dt.datetime(2026, 5, 20, 1, tzinfo=dt.UTC)  # 08.00 WIB

CONTEXTS = {
    d.REGISTERED: {},
    d.DOCUMENT_REJECTED: {"document_type": "passport", "reason": "foto tidak jelas"},
    d.DOCUMENTS_COMPLETED: {},
    d.SEAT_TAKEN: {"starts_at": STARTS_AT, "location": "Aula Disnaker Blitar"},
    d.SEAT_RELEASED: {"starts_at": STARTS_AT},
    d.SESSION_CANCELLED: {"starts_at": STARTS_AT},
    d.CERTIFICATE_ISSUED: {"certificate": "OPP-2026-7K3M9Q2B"},
    d.CLEARED_FOR_DEPARTURE: {},
    d.WELCOME_HOME: {"programme": "PAK CAMAT PMI 2026"},
    d.CONTRACT_ENDING: {"ends_on": dt.date(2028, 3, 31), "programme": "PAK CAMAT PMI 2028"},
    d.DOCUMENT_EXPIRING: {
        "document_type": "work_visa",
        "expires_on": dt.date(2028, 5, 31),
        "days_left": 56,
        "abroad": True,
    },
    d.SESSION_REMINDER: {"starts_at": STARTS_AT, "location": "Aula Disnaker Blitar"},
    d.SIGN_IN_CODE: {"code": "482913"},
    d.EMERGENCY: {"text": "kantor tutup besok karena banjir"},
    d.LETTER_READY: {"letter_type": "skck_recommendation"},
    d.CASE_UPDATE: {"number": "PGD-2026-7K3M9Q2B", "step": "referred"},
    d.CASE_NEWS: {"number": "PGD-2026-7K3M9Q2B"},
    d.FAMILY_BEREAVEMENT: {"worker": "Siti", "arrive_on": dt.date(2026, 5, 20)},
    d.FAMILY_REPATRIATED: {"worker": "Siti", "returned_on": dt.date(2026, 5, 20)},
}


def event(event_type: str, data: dict, worker_id: str | None = WORKER_ID) -> Event:
    return Event(
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        event_version=1,
        occurred_at=NOON,
        source=c.spec_for(event_type).source,
        worker_id=worker_id,
        sequence=1,
        correlation_id="test",
        actor=None,
        data=data,
    )


@pytest.fixture
def uow():
    return FakeUnitOfWork(FakeNotificationsRepository(), source=c.NOTIFICATIONS)


def heard(uow, evt: Event, now=NOON, contact=CONTACT, settings=SETTINGS) -> list[d.Message]:
    return uow.run(handlers.EVENTS[evt.event_type], evt, contact, now, settings)


# the words -----------------------------------------------------------------------------------


def test_every_kind_has_a_template_in_bahasa_indonesia_and_english():
    assert set(TEMPLATES) == set(d.KINDS)
    assert all(set(by) == {"id", "en"} for by in TEMPLATES.values())


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("kind", d.KINDS)
def test_every_message_fits_one_gsm7_sms_in_both_languages(kind, language):
    text = render(kind, language, {**CONTEXTS[kind], "name": "Siti", "desk": "LTSA PMI Blitar"})
    counted = d.segments(text)
    assert (counted.encoding, counted.count) == (d.GSM7, 1), text


def test_the_bahasa_indonesia_and_english_messages_say_the_same_in_their_own_words():
    context = {**CONTEXTS[d.SEAT_TAKEN], "name": "Siti", "desk": "LTSA"}
    assert render(d.SEAT_TAKEN, "id", context) == (
        "Anda terdaftar di OPP 20 Mei 2026 pukul 08.00 WIB di Aula Disnaker Blitar. Bawa KTP asli."
    )
    assert render(d.SEAT_TAKEN, "en", context) == (
        "You are enrolled in the OPP on 20 May 2026 at 08.00 WIB at Aula Disnaker Blitar. "
        "Bring your ID card."
    )


def test_a_text_that_would_carry_a_nik_is_refused_not_sent():
    with pytest.raises(UnsafeMessage):
        render(d.EMERGENCY, "id", {"text": f"NIK {NIK}", "desk": "LTSA"})


# the events ----------------------------------------------------------------------------------


def test_a_registration_gives_the_worker_one_sms_in_bahasa_indonesia_with_what_comes_next(uow):
    (message,) = heard(uow, event(c.WORKER_REGISTERED, {"full_name": "Siti Aminah"}))
    assert (message.channel, message.language, message.address) == ("sms", "id", "081234567890")
    assert message.body.startswith("Halo Siti, pendaftaran PMI Anda diterima.")
    assert "LTSA PMI Blitar" in message.body and "BERHENTI" in message.body
    assert (message.status, message.due_at, message.segments) == (d.PENDING, NOON, 1)


def test_the_same_event_heard_twice_gives_one_message(uow):
    registered = event(c.WORKER_REGISTERED, {})
    assert len(heard(uow, registered)) == 1
    assert heard(uow, registered) == []
    assert len(uow.repository.messages) == 1


def test_a_rejection_says_the_reason_but_never_a_nik_typed_into_it(uow):
    data = {
        "document_id": "d1",
        "document_type": "passport",
        "checklist_complete": False,
        "reason": f"nomor {NIK} tidak sesuai KTP",
    }
    (message,) = heard(uow, event(c.DOCUMENT_REJECTED, data))
    assert message.body.startswith("Paspor Anda belum diterima: nomor [...] tidak sesuai KTP.")
    assert not nik_like.contains(message.body) and "4107900001" not in message.body


def test_a_rejected_health_certificate_never_says_why(uow):
    data = {
        "document_id": "d1",
        "document_type": "health_certificate",
        "checklist_complete": False,
        "reason": "hasil tes hepatitis B positif",
    }
    (message,) = heard(uow, event(c.DOCUMENT_REJECTED, data))
    assert "hepatitis" not in message.body.lower()
    assert message.body == (
        "Surat keterangan sehat Anda belum diterima. Perbaiki dan serahkan lagi di LTSA PMI Blitar."
    )


def test_a_seat_taken_names_the_day_and_place_of_the_session_heard_of(uow):
    heard(
        uow,
        event(
            c.SESSION_SCHEDULED,
            {
                "session_id": SESSION_ID,
                "starts_at": STARTS_AT,
                "location": "Aula Disnaker",
                "capacity": 30,
                "topics": [],
            },
            worker_id=None,
        ),
    )
    (message,) = heard(
        uow, event(c.ORIENTATION_ENROLLED, {"session_id": SESSION_ID, "starts_at": STARTS_AT})
    )
    assert "20 Mei 2026 pukul 08.00 WIB di Aula Disnaker" in message.body
    (cancelled,) = heard(
        uow,
        event(c.ORIENTATION_RELEASED, {"session_id": SESSION_ID, "reason": "session_cancelled"}),
    )
    assert cancelled.kind == d.SESSION_CANCELLED and "dibatalkan" in cancelled.body


def test_a_status_change_speaks_only_when_the_worker_is_cleared_for_departure(uow):
    change = {"from_status": "registered", "stage": "pre_departure", "reason": "", "cycle": 1}
    assert (
        heard(uow, event(c.WORKER_STATUS_CHANGED, {**change, "to_status": "documents_verified"}))
        == []
    )
    (cleared,) = heard(
        uow, event(c.WORKER_STATUS_CHANGED, {**change, "to_status": "cleared_for_departure"})
    )
    assert cleared.kind == d.CLEARED_FOR_DEPARTURE


def test_a_returnee_is_welcomed_with_a_programme_open_to_returnees(uow):
    heard(
        uow,
        event(
            c.PROGRAM_CREATED,
            {
                "program_id": "p1",
                "name": "PAK CAMAT PMI 2026",
                "audience": "returnee",
                "capacity": 100,
                "starts_on": dt.date(2026, 6, 1),
                "rounds": [],
            },
            worker_id=None,
        ),
    )
    data = {"returned_on": dt.date(2026, 5, 12), "reason": "contract_ended", "cycle": 1}
    (message,) = heard(uow, event(c.WORKER_RETURNED, data))
    assert message.body == (
        "Selamat datang kembali, Siti. Program wirausaha terbuka untuk Anda: PAK CAMAT PMI 2026. "
        "Info di LTSA PMI Blitar."
    )


def programme(uow, name, starts_on, audience="returnee"):
    heard(
        uow,
        event(
            c.PROGRAM_CREATED,
            {
                "program_id": str(uuid.uuid4()),
                "name": name,
                "audience": audience,
                "capacity": 100,
                "starts_on": starts_on,
                "rounds": [],
            },
            worker_id=None,
        ),
    )


def test_a_contract_ending_invites_the_worker_to_a_programme_starting_once_home(uow):
    programme(uow, "PAK CAMAT PMI 2026", dt.date(2026, 6, 1))  # over before she is back
    programme(uow, "Kelas Wirausaha", dt.date(2026, 8, 1), audience="prospective")
    programme(uow, "PAK CAMAT PMI 2027", dt.date(2026, 7, 20))
    data = {"ends_on": dt.date(2026, 7, 12), "days_left": 60, "cycle": 1}
    (message,) = heard(uow, event(c.CONTRACT_ENDING, data))
    assert message.kind == d.CONTRACT_ENDING
    assert message.body == (
        "Halo Siti, kontrak kerja Anda berakhir 12 Jul 2026. Setelah pulang, Anda diundang ke "
        "program wirausaha PAK CAMAT PMI 2027. Info di LTSA PMI Blitar."
    )


def test_a_contract_ending_without_a_programme_open_says_when_it_ends_only(uow):
    data = {"ends_on": dt.date(2026, 7, 12), "days_left": 60, "cycle": 1}
    (message,) = heard(uow, event(c.CONTRACT_ENDING, data))
    assert message.body == (
        "Halo Siti, kontrak kerja Anda berakhir 12 Jul 2026. Info di LTSA PMI Blitar."
    )


def expiring(days_left, warning_days, abroad, document_type="passport"):
    return event(
        c.DOCUMENT_EXPIRING,
        {
            "document_id": str(uuid.uuid4()),
            "document_type": document_type,
            "expires_on": dt.date(2026, 5, 13) + dt.timedelta(days=days_left),
            "days_left": days_left,
            "warning_days": warning_days,
            "abroad": abroad,
        },
    )


def test_a_passport_expiring_abroad_says_to_renew_at_the_embassy_and_send_a_copy(uow):
    (message,) = heard(uow, expiring(56, 60, abroad=True))
    assert message.body == (
        "Paspor Anda berlaku sampai 8 Jul 2026 (56 hari lagi). Perpanjang di KBRI/KJRI, lalu "
        "kirim salinannya ke LTSA PMI Blitar."
    )


def test_a_visa_expiring_before_departure_says_to_renew_it_at_immigration(uow):
    (sixty,) = heard(uow, expiring(60, 60, abroad=False, document_type="work_visa"))
    (thirty,) = heard(uow, expiring(30, 30, abroad=False, document_type="work_visa"))
    assert sixty.body.startswith("Visa kerja Anda berlaku sampai 12 Jul 2026 (60 hari lagi).")
    assert "kantor imigrasi" in thirty.body and "(30 hari lagi)" in thirty.body


def test_a_message_heard_at_23_wib_is_due_at_07_the_next_morning(uow):
    (message,) = heard(
        uow, event(c.DOCUMENTS_COMPLETED, {"document_ids": [], "earliest_expiry": None}), now=NIGHT
    )
    assert message.due_at == dt.datetime(2026, 5, 14, 7, tzinfo=WIB)
    assert message.next_attempt_at == message.due_at


def test_past_the_daily_cap_the_fourth_message_waits_for_the_next_morning(uow):
    for _ in range(3):
        heard(uow, event(c.DOCUMENTS_COMPLETED, {"document_ids": [], "earliest_expiry": None}))
    (fourth,) = heard(
        uow, event(c.DOCUMENTS_COMPLETED, {"document_ids": [], "earliest_expiry": None})
    )
    assert fourth.due_at == dt.datetime(2026, 5, 14, 7, tzinfo=WIB)


def test_the_worker_who_chose_english_and_e_mail_is_written_to_so(uow):
    heard(uow, event(c.WORKER_REGISTERED, {}))
    uow.run(
        handlers.set_choices,
        WORKER_ID,
        {"language": "en", "channel": "email", "email": "siti@example.org"},
        NOON,
    )
    (message,) = heard(
        uow, event(c.DOCUMENTS_COMPLETED, {"document_ids": [], "earliest_expiry": None})
    )
    assert (message.channel, message.language, message.address) == (
        "email",
        "en",
        "siti@example.org",
    )
    assert message.body.startswith("All your documents are verified.")


def test_a_chosen_channel_without_a_provider_falls_back_to_sms(uow):
    heard(uow, event(c.WORKER_REGISTERED, {}))
    uow.run(handlers.set_choices, WORKER_ID, {"channel": "whatsapp"}, NOON)
    (message,) = heard(
        uow, event(c.DOCUMENTS_COMPLETED, {"document_ids": [], "earliest_expiry": None})
    )
    assert message.channel == d.SMS


# the reminder the day before an OPP session --------------------------------------------------


def enrolled_in_session(uow, starts_at=STARTS_AT, session_id=SESSION_ID, worker_id=WORKER_ID):
    heard(
        uow,
        event(
            c.SESSION_SCHEDULED,
            {
                "session_id": session_id,
                "starts_at": starts_at,
                "location": "Aula Disnaker",
                "capacity": 30,
                "topics": [],
            },
            worker_id=None,
        ),
    )
    heard(
        uow,
        event(
            c.ORIENTATION_ENROLLED,
            {"session_id": session_id, "starts_at": starts_at},
            worker_id=worker_id,
        ),
    )


def remind(uow, now):
    return uow.run(handlers.remind_sessions, now, SETTINGS)


DAY_BEFORE = dt.datetime(2026, 5, 19, 9, tzinfo=WIB)  # the session: 20 May, 08.00 WIB


def test_a_worker_enrolled_is_reminded_the_day_before_once(uow):
    enrolled_in_session(uow)
    assert remind(uow, dt.datetime(2026, 5, 18, 9, tzinfo=WIB)) == (0, [])  # two days before
    taken, (reminder,) = remind(uow, DAY_BEFORE)
    assert reminder.kind == d.SESSION_REMINDER and reminder.due_at == DAY_BEFORE
    assert reminder.body == (
        "Pengingat: OPP Anda besok, 20 Mei 2026 pukul 08.00 WIB di Aula Disnaker. Bawa KTP asli."
    )
    assert remind(uow, DAY_BEFORE + dt.timedelta(hours=1)) == (0, [])
    assert [m.kind for m in uow.repository.messages.values()].count(d.SESSION_REMINDER) == 1


def test_a_reminder_made_in_the_quiet_hours_waits_until_07_00(uow):
    enrolled_in_session(uow)
    _, (reminder,) = remind(uow, dt.datetime(2026, 5, 19, 5, tzinfo=WIB))
    assert reminder.due_at == dt.datetime(2026, 5, 19, 7, tzinfo=WIB)


def test_no_reminder_for_a_seat_released_or_a_session_cancelled(uow):
    enrolled_in_session(uow)
    heard(
        uow,
        event(c.ORIENTATION_RELEASED, {"session_id": SESSION_ID, "reason": "session_cancelled"}),
    )
    assert remind(uow, DAY_BEFORE) == (0, [])


def test_a_seat_taken_again_after_a_release_is_reminded_of_once(uow):
    enrolled_in_session(uow)
    heard(uow, event(c.ORIENTATION_RELEASED, {"session_id": SESSION_ID, "reason": "withdrawn"}))
    heard(uow, event(c.ORIENTATION_ENROLLED, {"session_id": SESSION_ID, "starts_at": STARTS_AT}))
    taken, made = remind(uow, DAY_BEFORE)
    assert (taken, len(made)) == (1, 1)


# replies -------------------------------------------------------------------------------------


def reply(text: str, sender="+6281234567890", secret=SETTINGS.inbound_secret or "k" * 32, now=NOON):
    stamp = str(int(now.timestamp()))
    return {
        "from": sender,
        "text": text,
        "timestamp": stamp,
        "signature": d.reply_signature(secret, stamp, sender, text),
    }


def test_berhenti_from_the_workers_phone_keeps_later_messages_from_being_sent(uow):
    settings = handlers.Settings(inbound_secret="k" * 32)
    heard(uow, event(c.WORKER_REGISTERED, {}), settings=settings)
    answer = uow.run(handlers.receive_reply, reply("BERHENTI"), NOON, settings)
    assert answer == {"intent": "opt_out", "people": 1}
    (message,) = heard(
        uow,
        event(c.DOCUMENTS_COMPLETED, {"document_ids": [], "earliest_expiry": None}),
        settings=settings,
    )
    assert (message.status, message.last_error) == (d.SUPPRESSED, "opted out")


def test_an_unsigned_reply_changes_nothing(uow):
    from pmi_common.errors import InvalidInput

    settings = handlers.Settings(inbound_secret="k" * 32)
    heard(uow, event(c.WORKER_REGISTERED, {}), settings=settings)
    with pytest.raises(InvalidInput):
        uow.run(handlers.receive_reply, reply("BERHENTI", secret="x" * 32), NOON, settings)
    assert uow.repository.person(WORKER_ID).opted_out_at is None


# delivery reports ----------------------------------------------------------------------------


def report(provider_id, status, secret="k" * 32, at=NOON, error=None):
    stamp = str(int(at.timestamp()))
    return {
        "provider_message_id": provider_id,
        "status": status,
        "error": error,
        "timestamp": stamp,
        "signature": d.report_signature(secret, stamp, provider_id, status),
    }


def sent_message(uow, settings):
    heard(uow, event(c.WORKER_REGISTERED, {}), settings=settings)
    send_due(transaction_over(uow), Flaky(failures=0), lambda: NOON)
    (message,) = uow.repository.messages.values()
    return message


def test_a_delivery_report_is_kept_on_the_message_and_an_older_one_changes_nothing(uow):
    settings = handlers.Settings(inbound_secret="k" * 32)
    message = sent_message(uow, settings)
    later = NOON + dt.timedelta(minutes=2)
    answer = uow.run(
        handlers.receive_delivery_report, report("p-1", "delivered", at=later), later, settings
    )
    assert answer == {"message_id": message.id, "delivery_status": "delivered", "changed": True}
    stale = report("p-1", "failed", at=NOON, error="absent subscriber")
    assert uow.run(handlers.receive_delivery_report, stale, later, settings)["changed"] is False
    kept = uow.repository.message(message.id)
    assert (kept.status, kept.delivery_status, kept.delivery_reported_at) == (
        d.SENT,
        d.DELIVERED,
        later,
    )


def test_a_failed_delivery_is_shown_with_the_providers_reason(uow):
    settings = handlers.Settings(inbound_secret="k" * 32)
    message = sent_message(uow, settings)
    failed = report("p-1", "failed", error="absent subscriber")
    uow.run(handlers.receive_delivery_report, failed, NOON, settings)
    kept = uow.repository.message(message.id)
    assert (kept.delivery_status, kept.delivery_error) == ("failed", "absent subscriber")


def test_an_unsigned_or_unknown_delivery_report_changes_nothing(uow):
    from pmi_common.errors import InvalidInput, NotFound

    settings = handlers.Settings(inbound_secret="k" * 32)
    message = sent_message(uow, settings)
    forged = report("p-1", "failed", secret="x" * 32)
    with pytest.raises(InvalidInput):
        uow.run(handlers.receive_delivery_report, forged, NOON, settings)
    stale = report("p-1", "failed", at=NOON - dt.timedelta(minutes=6))
    with pytest.raises(InvalidInput):
        uow.run(handlers.receive_delivery_report, stale, NOON, settings)
    with pytest.raises(NotFound):
        uow.run(handlers.receive_delivery_report, report("p-9", "delivered"), NOON, settings)
    assert uow.repository.message(message.id).delivery_status is None


# the month's count and cost, and the console ---------------------------------------------------


def test_the_months_cost_bills_an_sms_by_its_segments_and_counts_what_failed(uow):
    settings = handlers.Settings(
        inbound_secret="k" * 32, costs={d.SMS: 350.0, d.WHATSAPP: 500.0, d.EMAIL: 0.0}
    )
    message = sent_message(uow, settings)
    uow.repository.messages[message.id].segments = 2  # a long one
    uow.run(handlers.receive_delivery_report, report("p-1", "delivered"), NOON, settings)
    heard(
        uow,
        event(c.DOCUMENTS_COMPLETED, {"document_ids": [], "earliest_expiry": None}),
        settings=settings,
    )
    refused = next(m for m in uow.repository.messages.values() if m.status == d.PENDING)
    refused.attempt_failed("unknown number", NOON, permanent=True)

    usage = handlers.usage(uow.repository, {"month": "2026-05"}, settings)
    sms = usage["channels"][0]
    assert sms == {
        "channel": "sms",
        "sent": 1,
        "segments": 2,
        "delivered": 1,
        "undelivered": 0,
        "failed": 1,
        "billed_units": 2,
        "unit_cost": 350.0,
        "cost": 700.0,
    }
    assert (usage["currency"], usage["total_cost"]) == ("IDR", 700.0)
    assert handlers.usage(uow.repository, {"month": "2026-06"}, settings)["total_cost"] == 0


def test_a_month_is_the_districts_month():
    start, end = d.month_bounds("2026-12")
    assert start == dt.datetime(2026, 11, 30, 17, tzinfo=dt.UTC)
    assert end == dt.datetime(2027, 1, 1, tzinfo=WIB)
    from pmi_common.errors import InvalidInput

    with pytest.raises(InvalidInput):
        handlers.usage(FakeNotificationsRepository(), {"month": "2026-13"}, SETTINGS)


def test_the_console_shows_each_channels_provider_waiting_and_hours(uow):
    settings = handlers.Settings(inbound_secret="k" * 32)
    sent_message(uow, settings)
    heard(uow, event(c.DOCUMENTS_COMPLETED, {"document_ids": [], "earliest_expiry": None}))
    provider = {d.SMS: {"provider": "json-sms", "up": False, "error": "503"}}
    view = handlers.overview(uow.repository, NOON + dt.timedelta(minutes=5), settings, provider)
    (sms,) = view["channels"]
    assert (sms["provider"], sms["up"], sms["waiting"], sms["due"]) == ("json-sms", False, 1, 1)
    assert len(sms["hours"]) == 24
    assert sms["hours"][-1] == {
        "hour": "2026-05-13T05:00:00+00:00",
        "sent": 1,
        "delivered": 0,
        "failed": 0,
    }


# sending -------------------------------------------------------------------------------------


class Flaky:
    """A channel down for its first ``failures`` attempts."""

    channel, provider = d.SMS, "flaky"

    def __init__(self, failures: int):
        self.failures, self.sent = failures, []

    def send(self, message):
        if self.failures:
            self.failures -= 1
            raise ProviderDown("connection refused")
        self.sent.append(message.id)
        return f"p-{len(self.sent)}"


def transaction_over(uow):
    from contextlib import contextmanager

    @contextmanager
    def transaction():
        yield uow

    return transaction


def test_a_provider_down_at_first_loses_nothing_and_sends_each_message_once(uow):
    for _ in range(2):
        heard(uow, event(c.DOCUMENTS_COMPLETED, {"document_ids": [], "earliest_expiry": None}))
    flaky, clock = Flaky(failures=1), [NOON]
    first = send_due(transaction_over(uow), flaky, lambda: clock[0], delays=(30.0,))
    assert (first.sent, first.waiting, first.down) == (0, 2, ["flaky"])
    clock[0] += dt.timedelta(seconds=31)
    second = send_due(transaction_over(uow), flaky, lambda: clock[0], delays=(30.0,))
    assert second.sent == 2
    clock[0] += dt.timedelta(hours=1)
    assert send_due(transaction_over(uow), flaky, lambda: clock[0]).sent == 0
    stored = sorted(uow.repository.messages.values(), key=lambda m: m.provider_message_id)
    assert [(m.status, m.provider_message_id) for m in stored] == [("sent", "p-1"), ("sent", "p-2")]
    assert sorted(flaky.sent) == sorted(m.id for m in stored)


def test_a_message_not_yet_due_is_not_sent(uow):
    heard(
        uow, event(c.DOCUMENTS_COMPLETED, {"document_ids": [], "earliest_expiry": None}), now=NIGHT
    )
    outbox = OutboxChannel(d.SMS)
    assert send_due(transaction_over(uow), outbox, lambda: NIGHT).sent == 0
    morning = dt.datetime(2026, 5, 14, 7, tzinfo=WIB)
    assert send_due(transaction_over(uow), outbox, lambda: morning).sent == 1
