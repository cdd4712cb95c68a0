"""The notifications service's rules without I/O: SMS segments, quiet hours, the daily cap,
replies that opt out, and retries."""

from __future__ import annotations

import datetime as dt

import pytest

from services.notifications import domain as d

WIB = dt.timezone(dt.timedelta(hours=7))


def at_wib(hour: int, minute: int = 0, day: int = 13) -> dt.datetime:
    return dt.datetime(2026, 5, day, hour, minute, tzinfo=WIB).astimezone(dt.UTC)


# segments ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "units", "count"),
    [
        ("", d.GSM7, 0, 0),
        ("a" * 160, d.GSM7, 160, 1),
        ("a" * 161, d.GSM7, 161, 2),
        ("a" * 306, d.GSM7, 306, 2),
        ("a" * 307, d.GSM7, 307, 3),
        # an extension character costs two septets: 80 euro signs fill one SMS
        ("€" * 80, d.GSM7, 160, 1),
        ("€" * 81, d.GSM7, 162, 2),
        # ... and never straddles two parts: 152 septets, then an escape pair moves on
        ("a" * 152 + "[" + "a" * 10, d.GSM7, 164, 2),
        ("a" * 152 + "[" + "a" * 152, d.GSM7, 306, 3),
        # one character outside GSM-7 makes the whole text UCS-2
        ("a" * 69 + "ş", d.UCS2, 70, 1),
        ("a" * 70 + "ş", d.UCS2, 71, 2),
        ("a" * 133 + "ş", d.UCS2, 134, 2),
        ("a" * 134 + "ş", d.UCS2, 135, 3),
        # an emoji is two UTF-16 units, kept whole in one part
        ("😀" * 35, d.UCS2, 70, 1),
        ("a" * 66 + "😀" + "a" * 66, d.UCS2, 134, 3),
        # accented letters in GSM-7's own set stay GSM-7
        ("é" * 160, d.GSM7, 160, 1),
    ],
)
def test_segments_count_gsm7_with_its_extension_table_and_ucs2(text, encoding, units, count):
    assert d.segments(text) == d.Segments(encoding, units, count)


def test_curly_quotes_make_a_message_ucs2_and_cost_three_times_as_much():
    plain = "Kode Anda: 'ABC' " * 9
    curly = plain.replace("'", "\u2019")
    assert d.segments(plain).count == 1
    assert d.segments(curly).encoding == d.UCS2 and d.segments(curly).count == 3


# quiet hours ---------------------------------------------------------------------------------


@pytest.mark.parametrize("hour", [7, 12, 20])
def test_a_message_due_in_the_day_goes_at_once(hour):
    assert d.release_time(at_wib(hour, 59 if hour == 20 else 0), d.REGISTERED) == at_wib(
        hour, 59 if hour == 20 else 0
    )


def test_a_message_due_at_23_wib_waits_until_07_the_next_morning():
    assert d.release_time(at_wib(23), d.DOCUMENT_REJECTED) == at_wib(7, day=14)


def test_a_message_due_at_21_sharp_waits_and_one_due_before_dawn_goes_at_07_that_day():
    assert d.release_time(at_wib(21), d.REGISTERED) == at_wib(7, day=14)
    assert d.release_time(at_wib(3, 30), d.REGISTERED) == at_wib(7)


@pytest.mark.parametrize("kind", [d.SIGN_IN_CODE, d.EMERGENCY])
def test_sign_in_codes_and_emergencies_go_at_any_hour(kind):
    assert d.release_time(at_wib(23), kind) == at_wib(23)


# the daily cap -------------------------------------------------------------------------------


def test_past_the_daily_cap_a_message_waits_for_the_next_morning():
    assert d.within_cap(at_wib(10), d.REGISTERED, 2, cap=3) == at_wib(10)
    assert d.within_cap(at_wib(10), d.REGISTERED, 3, cap=3) == at_wib(7, day=14)


def test_a_sign_in_code_is_never_held_by_the_cap():
    assert d.within_cap(at_wib(10), d.SIGN_IN_CODE, 50, cap=3) == at_wib(10)


# replies and choices -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["BERHENTI", "berhenti", " Stop. ", "STOP!", "unsubscribe"])
def test_berhenti_or_stop_opts_out(text):
    assert d.reply_intent(text) == "opt_out"


@pytest.mark.parametrize("text", ["MULAI", "start"])
def test_mulai_or_start_opts_back_in(text):
    assert d.reply_intent(text) == "opt_in"


@pytest.mark.parametrize("text", ["", "jangan stop", "STOP please", "terima kasih", "123"])
def test_any_other_reply_is_not_a_command(text):
    assert d.reply_intent(text) is None


def test_an_opted_out_person_gets_only_a_sign_in_code_they_asked_for():
    person = d.Person(worker_id="w", phone="081234567890")
    assert person.reachable(d.REGISTERED)
    person.opt_out(at_wib(10))
    assert not person.reachable(d.REGISTERED) and person.reachable(d.SIGN_IN_CODE)
    person.opt_in(at_wib(11))
    assert person.reachable(d.REGISTERED)


def test_a_person_without_a_phone_cannot_be_sent_an_sms():
    assert not d.Person(worker_id="w", phone=None).reachable(d.REGISTERED)


# signed replies ------------------------------------------------------------------------------


def test_a_reply_is_genuine_only_signed_with_the_key_and_recent():
    now = at_wib(10)
    stamp = str(int(now.timestamp()))
    signature = d.reply_signature("k" * 32, stamp, "+6281234567890", "BERHENTI")
    assert d.genuine_reply("k" * 32, stamp, "+6281234567890", "BERHENTI", signature, now)
    assert d.genuine_reply(
        "k" * 32, stamp, "+6281234567890", "BERHENTI", "sha256=" + signature, now
    )
    assert not d.genuine_reply("x" * 32, stamp, "+6281234567890", "BERHENTI", signature, now)
    assert not d.genuine_reply("k" * 32, stamp, "+6281234567891", "BERHENTI", signature, now)
    later = now + dt.timedelta(minutes=6)
    assert not d.genuine_reply("k" * 32, stamp, "+6281234567890", "BERHENTI", signature, later)
    assert not d.genuine_reply("k" * 32, "soon", "+6281234567890", "BERHENTI", signature, now)


# retries -------------------------------------------------------------------------------------


def test_failed_attempts_back_off_then_the_message_fails_for_the_desk():
    message = d.Message(
        id="m",
        event_id="e",
        worker_id="w",
        channel=d.SMS,
        kind=d.REGISTERED,
        language="id",
        body="x",
        address="+62812",
        segments=1,
        encoding=d.GSM7,
        due_at=at_wib(10),
        created_at=at_wib(10),
    )
    message.attempt_failed("down", at_wib(10), delays=(30.0, 60.0))
    assert message.next_attempt_at == at_wib(10) + dt.timedelta(seconds=30)
    message.attempt_failed("down", at_wib(10), delays=(30.0, 60.0))
    message.attempt_failed("down", at_wib(10), delays=(30.0, 60.0))
    assert message.next_attempt_at == at_wib(10) + dt.timedelta(seconds=60)
    assert message.status == d.PENDING
    for _ in range(d.MAX_ATTEMPTS):
        message.attempt_failed("down", at_wib(10))
    assert message.status == d.FAILED


def test_a_refused_message_fails_at_once():
    message = d.Message(
        id="m", event_id="e", worker_id="w", channel=d.SMS, kind=d.REGISTERED, language="id",
        body="x", address="+62812", segments=1, encoding=d.GSM7, due_at=at_wib(10),
        created_at=at_wib(10),
    )  # fmt: skip
    message.attempt_failed("unknown number", at_wib(10), permanent=True)
    assert message.status == d.FAILED and message.attempts == 1
