"""Where the notifications service keeps people, messages and what it heard: the only SQL of the
service. ``Person`` and ``Message`` are the domain's own classes mapped onto the tables; a message
goes in with ``INSERT ... ON CONFLICT DO NOTHING`` on (event, person, channel), so an event
applied twice (or two instances racing) makes one message."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session, registry

from pmi_common.store import is_id, on_conflict, upsert

from .domain import (
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
from .models import enrolments, messages, people, programmes, sessions
from .notices import Session as HeardSession

mapper = registry()
mapper.map_imperatively(Person, people)
mapper.map_imperatively(Message, messages)
mapper.map_imperatively(Enrolment, enrolments)
_MESSAGE_COLUMNS = tuple(messages.c.keys())
RETURNEE_AUDIENCES = ("returnee", "both")


class NotificationsRepository:
    def __init__(self, session: Session):
        self.session = session

    # people ----------------------------------------------------------------------------------

    def person(self, person_id: str, lock: bool = False) -> Person | None:
        if not is_id(person_id):
            return None
        stmt = select(Person).where(people.c.worker_id == person_id)
        if lock:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def add_person(self, person: Person) -> None:
        self.session.add(person)
        self.session.flush()

    def people_with_phone(self, phone: str) -> list[Person]:
        return list(self.session.scalars(select(Person).where(people.c.phone == phone)))

    # messages --------------------------------------------------------------------------------

    def add_message(self, message: Message) -> bool:
        """Store a new message; False (and nothing stored) when the same event already gave
        this person a message on this channel."""
        row = {
            column: value for column, value in asdict(message).items() if column in _MESSAGE_COLUMNS
        }
        stmt, params = on_conflict(
            self.session.get_bind().dialect.name,
            messages,
            [row],
            ("event_id", "worker_id", "channel"),
        )
        return cast(CursorResult, self.session.execute(stmt, params)).rowcount == 1

    def message(self, message_id: str, lock: bool = False) -> Message | None:
        if not is_id(message_id):
            return None
        stmt = select(Message).where(messages.c.id == message_id)
        if lock:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def message_sent_as(self, provider_message_id: str, lock: bool = False) -> Message | None:
        """The message a provider knows by ``provider_message_id``."""
        stmt = select(Message).where(messages.c.provider_message_id == provider_message_id)
        if lock:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt.order_by(messages.c.id).limit(1)).first()

    def counted_between(self, person_id: str, start: dt.datetime, end: dt.datetime) -> int:
        """The person's messages that count against the daily cap, due in [start, end)."""
        return self.session.execute(
            select(func.count()).where(
                messages.c.worker_id == person_id,
                messages.c.due_at >= start,
                messages.c.due_at < end,
                messages.c.kind.not_in(URGENT),
            )
        ).scalar_one()

    def take_due(
        self, channel: str, now: dt.datetime, lease_until: dt.datetime, limit: int
    ) -> list[Message]:
        """Up to ``limit`` pending messages of ``channel`` due by ``now``, each held until
        ``lease_until`` (another sender, or this one after a crash, takes it only then);
        messages another transaction holds are skipped, not waited for."""
        stmt = (
            select(Message)
            .where(
                messages.c.status == PENDING,
                messages.c.channel == channel,
                messages.c.next_attempt_at <= now,
            )
            .order_by(messages.c.next_attempt_at, messages.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        taken = list(self.session.scalars(stmt))
        for message in taken:
            message.next_attempt_at = lease_until
        self.session.flush()
        return taken

    def put_back(self, message_ids: list[str], at: dt.datetime) -> None:
        """Messages taken and not tried (their channel failed first): due again at ``at``."""
        if message_ids:
            self.session.execute(
                update(messages)
                .where(messages.c.id.in_(message_ids), messages.c.status == PENDING)
                .values(next_attempt_at=at)
            )

    def messages_of(self, person_id: str, limit: int = 50) -> list[Message]:
        """The person's messages, newest first."""
        return list(
            self.session.scalars(
                select(Message)
                .where(messages.c.worker_id == person_id)
                .order_by(messages.c.created_at.desc(), messages.c.id.desc())
                .limit(limit)
            )
        )

    def latest(self, limit: int = 20) -> list[Message]:
        """Every person's messages, newest first (the local outbox of ``make run``)."""
        return list(
            self.session.scalars(
                select(Message)
                .order_by(messages.c.created_at.desc(), messages.c.id.desc())
                .limit(limit)
            )
        )

    # what the service heard ------------------------------------------------------------------

    def keep_session(self, session: HeardSession) -> None:
        upsert(
            self.session,
            sessions,
            "id",
            {"id": session.id, "starts_at": session.starts_at, "location": session.location},
            ["starts_at", "location"],
        )

    def session_heard(self, session_id: str) -> HeardSession | None:
        row = self.session.execute(select(sessions).where(sessions.c.id == session_id)).first()
        return HeardSession(row.id, row.starts_at, row.location) if row else None

    def keep_programme(
        self, programme_id: str, name: str, audience: str, starts_on: dt.date
    ) -> None:
        upsert(
            self.session,
            programmes,
            "id",
            {"id": programme_id, "name": name, "audience": audience, "starts_on": starts_on},
            ["name", "audience", "starts_on"],
        )

    def programme_for_returnee(self, today: dt.date) -> str | None:
        """The name of the next programme open to returnees starting from ``today``."""
        return self.session.execute(
            select(programmes.c.name)
            .where(programmes.c.audience.in_(RETURNEE_AUDIENCES), programmes.c.starts_on >= today)
            .order_by(programmes.c.starts_on, programmes.c.id)
            .limit(1)
        ).scalar()

    # seats taken, for the reminder the day before ---------------------------------------------

    def add_enrolment(self, enrolment: Enrolment) -> None:
        self.session.add(enrolment)
        self.session.flush()

    def end_enrolments(self, worker_id: str, session_id: str, at: dt.datetime) -> None:
        """The worker's seats in the session released or attended: no reminder any more."""
        self.session.execute(
            update(enrolments)
            .where(
                enrolments.c.worker_id == worker_id,
                enrolments.c.session_id == session_id,
                enrolments.c.ended_at.is_(None),
            )
            .values(ended_at=at)
        )

    def enrolments_to_remind(
        self, start: dt.datetime, end: dt.datetime, limit: int
    ) -> list[Enrolment]:
        """Up to ``limit`` seats still held in sessions starting in [start, end) with no
        reminder yet, locked; those another check holds are skipped."""
        return list(
            self.session.scalars(
                select(Enrolment)
                .where(
                    enrolments.c.starts_at >= start,
                    enrolments.c.starts_at < end,
                    enrolments.c.ended_at.is_(None),
                    enrolments.c.reminded_at.is_(None),
                )
                .order_by(enrolments.c.starts_at, enrolments.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )

    # the office's figures -----------------------------------------------------------------------

    def sent_between(self, start: dt.datetime, end: dt.datetime) -> dict[str, dict[str, int]]:
        """Per channel, the messages sent in [start, end): how many, their segments, and how
        many the provider reported delivered or not."""
        rows = self.session.execute(
            select(
                messages.c.channel,
                func.count(),
                func.coalesce(func.sum(messages.c.segments), 0),
                func.count().filter(messages.c.delivery_status == DELIVERED),
                func.count().filter(messages.c.delivery_status == UNDELIVERED),
            )
            .where(messages.c.status == SENT, messages.c.sent_at >= start, messages.c.sent_at < end)
            .group_by(messages.c.channel)
        ).all()
        return {
            channel: {
                "sent": sent,
                "segments": int(segments),
                "delivered": delivered,
                "undelivered": undelivered,
            }
            for channel, sent, segments, delivered, undelivered in rows
        }

    def failed_between(self, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
        """Per channel, the messages given up on (failed) that were made in [start, end)."""
        rows = self.session.execute(
            select(messages.c.channel, func.count())
            .where(
                messages.c.status == FAILED,
                messages.c.created_at >= start,
                messages.c.created_at < end,
            )
            .group_by(messages.c.channel)
        ).all()
        return dict(rows)

    def waiting(self, now: dt.datetime) -> dict[str, tuple[int, int]]:
        """Per channel, the pending messages: all of them, and those due by ``now``."""
        rows = self.session.execute(
            select(
                messages.c.channel,
                func.count(),
                func.count().filter(messages.c.next_attempt_at <= now),
            )
            .where(messages.c.status == PENDING)
            .group_by(messages.c.channel)
        ).all()
        return {channel: (pending, due) for channel, pending, due in rows}

    def outcomes_since(self, since: dt.datetime) -> list[tuple[str, str, dt.datetime]]:
        """(channel, outcome, when) of each message sent, failed or reported delivered since
        ``since``: the console's hours."""
        sent = self.session.execute(
            select(messages.c.channel, messages.c.sent_at, messages.c.delivery_status).where(
                messages.c.status == SENT, messages.c.sent_at >= since
            )
        ).all()
        failed = self.session.execute(
            select(messages.c.channel, messages.c.created_at).where(
                messages.c.status == FAILED, messages.c.created_at >= since
            )
        ).all()
        found = [(channel, SENT, at) for channel, at, _ in sent]
        found += [(channel, DELIVERED, at) for channel, at, status in sent if status == DELIVERED]
        found += [(channel, FAILED, at) for channel, at in failed]
        return found
