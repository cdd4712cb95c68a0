"""Where the notices to an agency's contact and the operators are kept (``notices``, written in
the transaction that made them necessary, so nothing is lost; what they say is
``domain.endpoint_disabled``): the agencies service's mailer (``services.agencies.notice_mailer``)
mails each one when SMTP is configured, and tries again until it is accepted; operators read them in
the console (``GET /api/v1/ops/webhooks``).

Today one kind: a webhook endpoint the platform disabled (410 Gone, or failing too long)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, update

from services.agencies.models import notices as table

from .domain import NOTICE_MAILED, NOTICE_PENDING, NOTICE_UNADDRESSED
from .schemas import notice_view

PENDING, MAILED, UNADDRESSED = NOTICE_PENDING, NOTICE_MAILED, NOTICE_UNADDRESSED


def record(conn, notice: dict, now: dt.datetime) -> int:
    """Keep a notice (in the caller's transaction); its id."""
    return conn.execute(
        insert(table)
        .values(**notice, created_at=now, state=PENDING, attempts=0, next_attempt_at=now)
        .returning(table.c.id)
    ).scalar_one()


class NoticeRepository:
    def __init__(self, engine):
        self.engine = engine

    def recent(self, limit: int = 50) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(table).order_by(table.c.id.desc()).limit(limit)).all()
        return [notice_view(row) for row in rows]

    def due(self, now: dt.datetime, limit: int, lease: dt.timedelta) -> list:
        """Up to ``limit`` pending notices due now, leased for ``lease`` (several agencies
        processes never mail one twice at once)."""
        with self.engine.begin() as conn:
            ids = list(
                conn.execute(
                    select(table.c.id)
                    .where(table.c.state == PENDING, table.c.next_attempt_at <= now)
                    .order_by(table.c.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                ).scalars()
            )
            if not ids:
                return []
            return conn.execute(
                update(table)
                .where(table.c.id.in_(ids))
                .values(next_attempt_at=now + lease)
                .returning(table)
            ).all()

    def settle(
        self,
        notice_id: int,
        now: dt.datetime,
        state: str,
        error: str | None = None,
        retry_at: dt.datetime | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.id == notice_id)
                .values(
                    state=state,
                    attempts=table.c.attempts + 1,
                    last_error=error,
                    next_attempt_at=retry_at,
                    mailed_at=now if state == MAILED else None,
                )
            )
