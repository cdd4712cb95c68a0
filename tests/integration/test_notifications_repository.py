"""One contract for the notifications repository, checked against the in-memory fake the handler
tests use and the real one on PostgreSQL: one message per event, person and channel; due
messages taken once; a worker's log newest first; what was heard of sessions and programmes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest

from services.notifications import domain as d
from services.notifications.notices import Session as HeardSession
from services.notifications.repository import NotificationsRepository
from tests.helpers import Kept, kept_on
from tests.unit.fakes.notifications import FakeNotificationsRepository

NOW = dt.datetime(2026, 5, 13, 3, tzinfo=dt.UTC)  # 10:00 WIB
WORKER = str(uuid.uuid4())


@pytest.fixture(params=["fake", "postgresql"])
def kept(request) -> Iterator[Kept]:
    yield from kept_on(
        request, FakeNotificationsRepository, NotificationsRepository, "notifications"
    )


def message(event_id=None, worker=WORKER, channel=d.SMS, due=NOW, kind=d.REGISTERED, at=NOW):
    return d.Message(
        id=str(uuid.uuid4()),
        event_id=event_id or str(uuid.uuid4()),
        worker_id=worker,
        channel=channel,
        kind=kind,
        language="id",
        body="Halo",
        address="081234567890",
        segments=1,
        encoding=d.GSM7,
        due_at=due,
        created_at=at,
    )


def test_a_person_is_kept_and_found_by_id_and_by_phone(kept):
    kept.repository.add_person(d.Person(worker_id=WORKER, phone="081234567890", first_name="Siti"))
    kept.again()
    person = kept.repository.person(WORKER, lock=True)
    assert (person.phone, person.language, person.channel, person.consent) == (
        "081234567890",
        "id",
        "sms",
        True,
    )
    assert [p.worker_id for p in kept.repository.people_with_phone("081234567890")] == [WORKER]
    assert kept.repository.people_with_phone("081200000000") == []
    assert kept.repository.person("not-an-id") is None


def test_one_message_per_event_person_and_channel(kept):
    event_id = str(uuid.uuid4())
    assert kept.repository.add_message(message(event_id))
    assert not kept.repository.add_message(message(event_id))
    assert kept.repository.add_message(message(event_id, channel=d.EMAIL))
    assert kept.repository.add_message(message(event_id, worker=str(uuid.uuid4())))
    kept.again()
    assert len(kept.repository.messages_of(WORKER)) == 2


def test_due_messages_are_taken_once_oldest_first_and_held_for_a_lease(kept):
    later, earlier = message(due=NOW), message(due=NOW - dt.timedelta(minutes=5))
    future = message(due=NOW + dt.timedelta(hours=1))
    email = message(channel=d.EMAIL)
    for m in (later, earlier, future, email):
        kept.repository.add_message(m)
    kept.again()
    taken = kept.repository.take_due(d.SMS, NOW, NOW + d.LEASE, 10)
    assert [m.id for m in taken] == [earlier.id, later.id]
    kept.again()
    assert kept.repository.take_due(d.SMS, NOW, NOW + d.LEASE, 10) == []
    retaken = kept.repository.take_due(d.SMS, NOW + d.LEASE, NOW + 2 * d.LEASE, 10)
    assert {m.id for m in retaken} == {earlier.id, later.id}  # the lease ended
    kept.repository.put_back([later.id], NOW)
    kept.again()
    assert [m.id for m in kept.repository.take_due(d.SMS, NOW, NOW, 10)] == [later.id]


def test_a_message_changed_is_what_is_read_back(kept):
    m = message()
    kept.repository.add_message(m)
    kept.again()
    stored = kept.repository.message(m.id, lock=True)
    stored.delivered("json-sms", "prov-1", NOW)
    kept.again()
    read = kept.repository.message(m.id)
    assert (read.status, read.provider, read.provider_message_id, read.sent_at) == (
        d.SENT,
        "json-sms",
        "prov-1",
        NOW,
    )
    kept.repository.put_back([m.id], NOW + dt.timedelta(hours=1))
    kept.again()
    assert kept.repository.message(m.id).next_attempt_at == NOW  # a sent message stays put


def test_the_cap_counts_the_days_messages_but_not_sign_in_codes(kept):
    for due in (NOW, NOW + dt.timedelta(hours=2), NOW + dt.timedelta(days=1)):
        kept.repository.add_message(message(due=due))
    kept.repository.add_message(message(kind=d.SIGN_IN_CODE))
    kept.repository.add_message(message(worker=str(uuid.uuid4())))
    kept.again()
    start = NOW - dt.timedelta(hours=3)
    assert kept.repository.counted_between(WORKER, start, start + dt.timedelta(days=1)) == 2


def test_a_workers_log_is_newest_first(kept):
    first, second = message(at=NOW), message(at=NOW + dt.timedelta(minutes=1))
    kept.repository.add_message(first)
    kept.repository.add_message(second)
    kept.again()
    assert [m.id for m in kept.repository.messages_of(WORKER)] == [second.id, first.id]
    assert [m.id for m in kept.repository.messages_of(WORKER, limit=1)] == [second.id]
    assert [m.id for m in kept.repository.latest(limit=1)] == [second.id]


def test_sessions_and_programmes_heard_of(kept):
    session_id = str(uuid.uuid4())
    kept.repository.keep_session(HeardSession(session_id, NOW, "Aula"))
    kept.repository.keep_session(HeardSession(session_id, NOW, "Aula Disnaker"))
    kept.repository.keep_programme("p-late", "Later", "both", dt.date(2026, 7, 1))
    kept.repository.keep_programme("p-soon", "Soon", "returnee", dt.date(2026, 6, 1))
    kept.repository.keep_programme("p-pro", "Prospective", "prospective", dt.date(2026, 5, 20))
    kept.repository.keep_programme("p-past", "Past", "returnee", dt.date(2026, 5, 1))
    kept.again()
    assert kept.repository.session_heard(session_id) == HeardSession(
        session_id, NOW, "Aula Disnaker"
    )
    assert kept.repository.session_heard(str(uuid.uuid4())) is None
    assert kept.repository.programme_for_returnee(dt.date(2026, 5, 13)) == "Soon"
    assert kept.repository.programme_for_returnee(dt.date(2026, 8, 1)) is None


def test_seats_held_in_tomorrows_sessions_are_found_until_released_or_reminded(kept):
    start, end = d.tomorrow(NOW)  # 14 May, WIB
    session = str(uuid.uuid4())

    def seat(worker, starts_at, session_id=session):
        enrolment = d.Enrolment(str(uuid.uuid4()), worker, session_id, starts_at)
        kept.repository.add_enrolment(enrolment)
        return enrolment

    tomorrow_morning = start + dt.timedelta(hours=8)
    first = seat(WORKER, tomorrow_morning)
    released = seat(str(uuid.uuid4()), tomorrow_morning)
    later = seat(str(uuid.uuid4()), tomorrow_morning + dt.timedelta(hours=4))
    seat(str(uuid.uuid4()), end)  # the day after tomorrow
    seat(str(uuid.uuid4()), start - dt.timedelta(minutes=1))  # tonight
    kept.repository.end_enrolments(released.worker_id, session, NOW)
    kept.again()
    assert [e.id for e in kept.repository.enrolments_to_remind(start, end, 10)] == [
        first.id,
        later.id,
    ]
    (taken,) = kept.repository.enrolments_to_remind(start, end, 1)
    taken.reminded_at = NOW
    kept.again()
    assert [e.id for e in kept.repository.enrolments_to_remind(start, end, 10)] == [later.id]


def test_a_sent_message_is_found_by_the_providers_id(kept):
    sent = message()
    sent.delivered("json-sms", "sms-77", NOW)
    kept.repository.add_message(sent)
    kept.repository.add_message(message())
    kept.again()
    assert kept.repository.message_sent_as("sms-77", lock=True).id == sent.id
    assert kept.repository.message_sent_as("sms-78") is None


def test_the_figures_count_sent_segments_reports_failures_and_waiting(kept):
    long, short, gone, waiting = message(), message(), message(), message()
    long.segments = 3
    long.delivered("json-sms", "sms-1", NOW)
    long.reported(d.DELIVERED, NOW)
    short.delivered("json-sms", "sms-2", NOW + dt.timedelta(hours=1))
    short.reported(d.UNDELIVERED, NOW, "absent subscriber")
    gone.attempt_failed("unknown number", NOW, permanent=True)
    waiting.next_attempt_at = NOW + dt.timedelta(hours=1)
    for each in (long, short, gone, waiting):
        kept.repository.add_message(each)
    kept.again()
    day = (NOW - dt.timedelta(hours=3), NOW + dt.timedelta(hours=3))
    assert kept.repository.sent_between(*day) == {
        "sms": {"sent": 2, "segments": 4, "delivered": 1, "undelivered": 1}
    }
    assert (
        kept.repository.sent_between(NOW + dt.timedelta(hours=3), NOW + dt.timedelta(days=1)) == {}
    )
    assert kept.repository.failed_between(*day) == {"sms": 1}
    assert kept.repository.waiting(NOW) == {"sms": (1, 0)}
    assert sorted(kept.repository.outcomes_since(NOW)) == sorted(
        [
            ("sms", d.SENT, NOW),
            ("sms", d.DELIVERED, NOW),
            ("sms", d.SENT, NOW + dt.timedelta(hours=1)),
            ("sms", d.FAILED, NOW),
        ]
    )
