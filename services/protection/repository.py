"""Where the protection service's cases are kept: the only SQL of the service.

The domain classes are mapped onto the tables (imperative mapping): a case loaded is the
domain's own ``Case`` with its steps, and changing it is what gets stored. A case is changed
locked (``lock``), so two caseworkers acting at once take turns.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, deferred, registry, relationship

from pmi_common.names import CASE_URGENCIES, SENSITIVE_CASE_TYPES
from pmi_common.store import is_id

from .domain import ADMIN, OPEN, QUEUED, Attachment, Case, Referral, Step
from .models import case_attachments, case_referrals, case_steps, cases
from .overview import OpenTally

mapper = registry()
mapper.map_imperatively(Step, case_steps)
# an attachment's content is read only when asked for (``Attachment.content``), not with the case
mapper.map_imperatively(
    Attachment, case_attachments, properties={"content": deferred(case_attachments.c.content)}
)
# a referral's letter is read only when asked for, like an attachment's content
mapper.map_imperatively(
    Referral, case_referrals, properties={"letter": deferred(case_referrals.c.letter)}
)
mapper.map_imperatively(
    Case,
    cases,
    properties={
        "steps": relationship(
            Step, order_by=case_steps.c.id, lazy="selectin", cascade="all, delete-orphan"
        ),
        "attachments": relationship(
            Attachment,
            order_by=(case_attachments.c.added_at, case_attachments.c.id),
            lazy="selectin",
            cascade="all, delete-orphan",
        ),
        "referrals": relationship(
            Referral,
            order_by=(case_referrals.c.referred_at, case_referrals.c.id),
            lazy="selectin",
            cascade="all, delete-orphan",
        ),
    },
)


class ProtectionRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, new: Case) -> None:
        self.session.add(new)
        self.session.flush()

    def get(self, case_id: str) -> Case | None:
        return self.session.get(Case, case_id) if is_id(case_id) else None

    def lock(self, case_id: str) -> Case | None:
        """The case, locked until the transaction ends."""
        if not is_id(case_id):
            return None
        return self.session.scalars(
            select(Case).where(cases.c.id == case_id).with_for_update()
        ).first()

    def letters_due(self, now: dt.datetime, lease: dt.timedelta, limit: int) -> list[str]:
        """The cases with a referral letter to mail now, each letter held for ``lease`` so that
        no other sender takes it meanwhile (skipping those another holds)."""
        due = list(
            self.session.scalars(
                select(Referral)
                .where(case_referrals.c.delivery == QUEUED, case_referrals.c.next_try_at <= now)
                .order_by(case_referrals.c.next_try_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        for referral in due:
            referral.next_try_at = now + lease
        return [referral.id for referral in due]

    def referral(self, referral_id: str) -> Referral | None:
        return self.session.get(Referral, referral_id) if is_id(referral_id) else None

    def by_number(self, number: str) -> Case | None:
        return self.session.scalars(select(Case).where(cases.c.number == number)).first()

    def open_cases(
        self,
        *,
        now: dt.datetime,
        seen_by: tuple[str | None, str | None],
        urgency: str | None = None,
        overdue_only: bool = False,
        limit: int = 50,
    ) -> list[Case]:
        """Open cases the (role, subject) ``seen_by`` may see: the overdue first, then by
        urgency, then the longest waiting."""
        late = _overdue(now)
        stmt = select(Case).where(cases.c.status.in_(OPEN), *_seen_by(*seen_by))
        if urgency is not None:
            stmt = stmt.where(cases.c.urgency == urgency)
        if overdue_only:
            stmt = stmt.where(late)
        rank = case({u: n for n, u in enumerate(CASE_URGENCIES)}, value=cases.c.urgency)
        stmt = stmt.order_by(case((late, 0), else_=1), rank, cases.c.received_at, cases.c.id).limit(
            limit
        )
        return list(self.session.scalars(stmt))

    def open_tallies(
        self, *, now: dt.datetime, seen_by: tuple[str | None, str | None]
    ) -> list[OpenTally]:
        """The open cases ``seen_by`` may see, counted by type, urgency, destination and
        whether they are overdue."""
        late = case((_overdue(now), True), else_=False).label("late")
        rows = self.session.execute(
            select(
                cases.c.case_type, cases.c.urgency, cases.c.destination_country, late, func.count()
            )
            .where(cases.c.status.in_(OPEN), *_seen_by(*seen_by))
            .group_by(cases.c.case_type, cases.c.urgency, cases.c.destination_country, late)
        )
        return [OpenTally(*row) for row in rows]

    def moments_since(
        self, since: dt.datetime, *, seen_by: tuple[str | None, str | None]
    ) -> tuple[list[dt.datetime], list[dt.datetime]]:
        """When the cases ``seen_by`` may see were received, and resolved (the last time), from
        ``since`` on."""
        seen = _seen_by(*seen_by)
        received = self.session.scalars(
            select(cases.c.received_at).where(cases.c.received_at >= since, *seen)
        )
        resolved = self.session.scalars(
            select(cases.c.resolved_at).where(cases.c.resolved_at >= since, *seen)
        )
        return list(received), list(resolved)

    def count_open(
        self, *, now: dt.datetime, seen_by: tuple[str | None, str | None]
    ) -> tuple[int, int]:
        """(open, overdue) among the cases ``seen_by`` may see."""
        total, late = self.session.execute(
            select(func.count(), func.count().filter(_overdue(now))).where(
                cases.c.status.in_(OPEN), *_seen_by(*seen_by)
            )
        ).one()
        return total, late


def _overdue(now: dt.datetime):
    """An open case past a limit it has not met (``Case.overdue``)."""
    return or_(
        and_(cases.c.acknowledged_at.is_(None), cases.c.acknowledge_by < now),
        and_(cases.c.acted_at.is_(None), cases.c.act_by < now),
    )


def _seen_by(role: str | None, subject: str | None) -> tuple:
    """``Case.visible_to`` in SQL."""
    if role is None or role == ADMIN:
        return ()
    return (or_(cases.c.case_type.not_in(SENSITIVE_CASE_TYPES), cases.c.assigned_to == subject),)
