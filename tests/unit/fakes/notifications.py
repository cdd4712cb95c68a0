"""The notifications repository in memory, with the real repository's methods and meaning
(tests/integration/test_notifications_repository.py runs the same checks against both)."""

from __future__ import annotations

import copy
import datetime as dt

from pmi_common.store import is_id
from services.notifications.domain import (
    DELIVERED,
    FAILED,
    PENDING,
    SENT,
    UNDELIVERED,
    URGENT,
    Enrolment,
    Message,
    Person,
)
from services.notifications.notices import Session

RETURNEE_AUDIENCES = ("returnee", "both")


class FakeNotificationsRepository:
    def __init__(self):
        self.people: dict[str, Person] = {}
        self.messages: dict[str, Message] = {}
        self.sessions: dict[str, Session] = {}
        self.programmes: dict[str, tuple[str, str, dt.date]] = {}
        self.enrolments: dict[str, Enrolment] = {}

    def person(self, person_id: str, lock: bool = False) -> Person | None:
        return self.people.get(person_id) if is_id(person_id) else None

    def add_person(self, person: Person) -> None:
        if person.worker_id in self.people:
            raise ValueError("people_pkey: one person per worker")
        self.people[person.worker_id] = person

    def people_with_phone(self, phone: str) -> list[Person]:
        return [p for p in self.people.values() if p.phone == phone]

    def add_message(self, message: Message) -> bool:
        key = (message.event_id, message.worker_id, message.channel)
        if any((m.event_id, m.worker_id, m.channel) == key for m in self.messages.values()):
            return False
        self.messages[message.id] = copy.copy(message)
        return True

    def message(self, message_id: str, lock: bool = False) -> Message | None:
        return self.messages.get(message_id) if is_id(message_id) else None

    def message_sent_as(self, provider_message_id: str, lock: bool = False) -> Message | None:
        found = sorted(
            (m for m in self.messages.values() if m.provider_message_id == provider_message_id),
            key=lambda m: m.id,
        )
        return found[0] if found else None

    def counted_between(self, person_id: str, start: dt.datetime, end: dt.datetime) -> int:
        return sum(
            1
            for m in self.messages.values()
            if m.worker_id == person_id and start <= m.due_at < end and m.kind not in URGENT
        )

    def take_due(
        self, channel: str, now: dt.datetime, lease_until: dt.datetime, limit: int
    ) -> list[Message]:
        due = sorted(
            (
                m
                for m in self.messages.values()
                if m.status == PENDING and m.channel == channel and m.next_attempt_at <= now
            ),
            key=lambda m: (m.next_attempt_at, m.id),
        )[:limit]
        for message in due:
            message.next_attempt_at = lease_until
        return [copy.copy(m) for m in due]

    def put_back(self, message_ids: list[str], at: dt.datetime) -> None:
        for message_id in message_ids:
            message = self.messages.get(message_id)
            if message is not None and message.status == PENDING:
                message.next_attempt_at = at

    def messages_of(self, person_id: str, limit: int = 50) -> list[Message]:
        mine = [m for m in self.messages.values() if m.worker_id == person_id]
        return sorted(mine, key=lambda m: (m.created_at, m.id), reverse=True)[:limit]

    def latest(self, limit: int = 20) -> list[Message]:
        return sorted(self.messages.values(), key=lambda m: (m.created_at, m.id), reverse=True)[
            :limit
        ]

    def keep_session(self, session: Session) -> None:
        self.sessions[session.id] = session

    def session_heard(self, session_id: str) -> Session | None:
        return self.sessions.get(session_id)

    def keep_programme(
        self, programme_id: str, name: str, audience: str, starts_on: dt.date
    ) -> None:
        self.programmes[programme_id] = (name, audience, starts_on)

    def programme_for_returnee(self, today: dt.date) -> str | None:
        open_ = sorted(
            (starts_on, programme_id, name)
            for programme_id, (name, audience, starts_on) in self.programmes.items()
            if audience in RETURNEE_AUDIENCES and starts_on >= today
        )
        return open_[0][2] if open_ else None

    def add_enrolment(self, enrolment: Enrolment) -> None:
        if enrolment.id in self.enrolments:
            raise ValueError("enrolments_pkey: one row per enrolment")
        self.enrolments[enrolment.id] = enrolment

    def end_enrolments(self, worker_id: str, session_id: str, at: dt.datetime) -> None:
        for enrolment in self.enrolments.values():
            if (enrolment.worker_id, enrolment.session_id) == (worker_id, session_id):
                enrolment.ended_at = enrolment.ended_at or at

    def enrolments_to_remind(
        self, start: dt.datetime, end: dt.datetime, limit: int
    ) -> list[Enrolment]:
        return sorted(
            (
                e
                for e in self.enrolments.values()
                if start <= e.starts_at < end and e.ended_at is None and e.reminded_at is None
            ),
            key=lambda e: (e.starts_at, e.id),
        )[:limit]

    def sent_between(self, start: dt.datetime, end: dt.datetime) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        for m in self.messages.values():
            if m.status != SENT or m.sent_at is None or not start <= m.sent_at < end:
                continue
            row = found.setdefault(
                m.channel, {"sent": 0, "segments": 0, "delivered": 0, "undelivered": 0}
            )
            row["sent"] += 1
            row["segments"] += m.segments
            row["delivered"] += m.delivery_status == DELIVERED
            row["undelivered"] += m.delivery_status == UNDELIVERED
        return found

    def failed_between(self, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
        found: dict[str, int] = {}
        for m in self.messages.values():
            if m.status == FAILED and start <= m.created_at < end:
                found[m.channel] = found.get(m.channel, 0) + 1
        return found

    def waiting(self, now: dt.datetime) -> dict[str, tuple[int, int]]:
        found: dict[str, tuple[int, int]] = {}
        for m in self.messages.values():
            if m.status == PENDING:
                pending, due = found.get(m.channel, (0, 0))
                found[m.channel] = (pending + 1, due + (m.next_attempt_at <= now))
        return found

    def outcomes_since(self, since: dt.datetime) -> list[tuple[str, str, dt.datetime]]:
        found = []
        for m in self.messages.values():
            if m.status == SENT and m.sent_at is not None and m.sent_at >= since:
                found.append((m.channel, SENT, m.sent_at))
                if m.delivery_status == DELIVERED:
                    found.append((m.channel, DELIVERED, m.sent_at))
            elif m.status == FAILED and m.created_at >= since:
                found.append((m.channel, FAILED, m.created_at))
        return found
