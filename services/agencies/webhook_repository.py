"""Agencies' webhook endpoints, their deliveries and every attempt, in the agencies database
(where the agreements they are filtered by live).

The operators' command and the gateway's admin routes manage endpoints; the agencies service queues
a delivery per endpoint in the transaction that handles the event (``handlers.fan_out``), and its
dispatcher (``services.agencies.webhook_delivery``) takes each endpoint's due deliveries, the oldest
of each worker first, and records every attempt here.

Signing secrets are stored sealed (``pmi_common.sealing``, with ``WEBHOOK_SECRET_KEY``): an
endpoint read from here carries them sealed, and only the agencies service opens them, to sign a
delivery (``services.agencies.webhook_delivery``). A new secret is shown once, when it is made, and
never stored readable.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Engine, func, insert, select, update

from pmi_common.errors import InvalidInput, NotFound
from pmi_common.sealing import Sealer
from pmi_common.store import is_id
from services.agencies import domain
from services.agencies.models import webhook_attempts as attempts_table
from services.agencies.models import webhook_deliveries as deliveries_table
from services.agencies.models import webhook_endpoints as table

from . import notices
from .domain import endpoint_disabled, shown_url

RESPONSE_KEPT = 512  # characters of an answer's body kept in the log
HEALTH_WALK = 1000  # failed attempts read back at most, per endpoint, for the console


def _secrets_of(stored: list[dict]) -> tuple[domain.Secret, ...]:
    """The secrets of a row, still sealed."""
    return tuple(
        domain.Secret(
            s["sealed"], dt.datetime.fromisoformat(s["expires_at"]) if s.get("expires_at") else None
        )
        for s in stored
    )


def _stored(secrets: tuple[domain.Secret, ...]) -> list[dict]:
    """Sealed secrets as a row keeps them."""
    return [
        {"sealed": s.value, "expires_at": s.expires_at.isoformat() if s.expires_at else None}
        for s in secrets
    ]


def _endpoint(row) -> domain.Endpoint:
    return domain.Endpoint(
        id=row.id,
        agency=row.agency,
        url=row.url,
        event_types=tuple(row.event_types),
        secrets=_secrets_of(row.secrets),
        status=row.status,
        disabled_reason=row.disabled_reason,
        failing_since=row.failing_since,
        description=row.description,
    )


class WebhookRepository:
    def __init__(self, engine: Engine, sealer: Sealer):
        self.engine = engine
        self.sealer = sealer

    # endpoints --------------------------------------------------------------------------------

    def add(
        self,
        agency: str,
        url: str,
        event_types: tuple[str, ...],
        changed_by: str,
        now: dt.datetime,
        description: str = "",
    ) -> tuple[domain.Endpoint, str]:
        """A new endpoint, and its secret (shown once)."""
        secret = domain.new_secret()
        endpoint_id = str(uuid.uuid4())
        with self.engine.begin() as conn:
            conn.execute(
                insert(table).values(
                    id=endpoint_id,
                    agency=agency,
                    url=url,
                    description=description or "",
                    event_types=list(event_types),
                    secrets=_stored((domain.Secret(self.sealer.seal(secret)),)),
                    status=domain.ENABLED,
                    created_at=now,
                    changed_by=changed_by,
                )
            )
        return self.get(endpoint_id), secret

    def get(self, endpoint_id: str, agency: str | None = None) -> domain.Endpoint:
        """The endpoint (of ``agency``, when named); ``NotFound`` otherwise."""
        if not is_id(endpoint_id):
            raise NotFound(f"no webhook endpoint {endpoint_id}")
        with self.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.id == endpoint_id)).first()
        if row is None or (agency is not None and row.agency != agency):
            raise NotFound(f"no webhook endpoint {endpoint_id}")
        return _endpoint(row)

    def of_agency(self, agency: str | None = None) -> list[domain.Endpoint]:
        query = select(table).order_by(table.c.agency, table.c.created_at)
        if agency is not None:
            query = query.where(table.c.agency == agency)
        with self.engine.connect() as conn:
            return [_endpoint(row) for row in conn.execute(query)]

    def enabled_by_agency(self) -> dict[str, list[domain.Endpoint]]:
        found: dict[str, list[domain.Endpoint]] = {}
        for endpoint in self.of_agency():
            if endpoint.enabled:
                found.setdefault(endpoint.agency, []).append(endpoint)
        return found

    def change(self, endpoint_id: str, changed_by: str, **values) -> domain.Endpoint:
        self.get(endpoint_id)
        with self.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.id == endpoint_id)
                .values(changed_by=changed_by, **values)
            )
        return self.get(endpoint_id)

    def rotate(
        self, endpoint_id: str, changed_by: str, now: dt.datetime, overlap: dt.timedelta
    ) -> tuple[domain.Endpoint, str]:
        """A new secret; the current one keeps signing for ``overlap``."""
        if overlap < dt.timedelta(0):
            raise InvalidInput("invalid overlap", {"keep_old_for": ["must not be negative"]})
        secret = domain.new_secret()
        current = self.get(endpoint_id)
        endpoint = self.change(
            endpoint_id,
            changed_by,
            secrets=_stored(
                domain.rotated(current.secrets, self.sealer.seal(secret), now, overlap)
            ),
        )
        return endpoint, secret

    def disable(
        self, endpoint_id: str, reason: str, changed_by: str, now: dt.datetime
    ) -> domain.Endpoint:
        return self.change(
            endpoint_id, changed_by, status=domain.DISABLED, disabled_reason=reason, disabled_at=now
        )

    def disable_by_platform(
        self, endpoint: domain.Endpoint, why: str, now: dt.datetime
    ) -> int | None:
        """Disable an endpoint the platform gives up on, and keep the notice telling its
        agency's contact and the operators, in one transaction; the notice's id, or None when
        it was disabled already (another attempt in flight found the same)."""
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(table)
                .where(table.c.id == endpoint.id, table.c.status == domain.ENABLED)
                .values(
                    status=domain.DISABLED,
                    disabled_reason=why,
                    disabled_at=now,
                    changed_by="agencies",
                )
            ).rowcount
            if not changed:
                return None
            return notices.record(conn, endpoint_disabled(endpoint, why), now)

    def enable(self, endpoint_id: str, changed_by: str) -> domain.Endpoint:
        """Enabled again: what waited is delivered from where it stopped."""
        return self.change(
            endpoint_id,
            changed_by,
            status=domain.ENABLED,
            disabled_reason=None,
            disabled_at=None,
            failing_since=None,
        )

    # the delivery log --------------------------------------------------------------------------

    def deliveries(
        self,
        endpoint_id: str,
        limit: int = 50,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        before: int | None = None,
        withheld: bool = True,
    ) -> dict:
        """The endpoint's deliveries, newest first, each with its attempts; without those
        withheld when ``withheld`` is false (what the agency reads: that an event it is no
        longer granted happened to a worker is itself not the agency's to know)."""
        query = select(deliveries_table).where(deliveries_table.c.endpoint_id == endpoint_id)
        if not withheld:
            query = query.where(deliveries_table.c.state != domain.WITHHELD)
        if since is not None:
            query = query.where(deliveries_table.c.created_at >= since)
        if until is not None:
            query = query.where(deliveries_table.c.created_at < until)
        if before is not None:
            query = query.where(deliveries_table.c.id < before)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(deliveries_table.c.id.desc()).limit(limit + 1)).all()
            ids = [row.id for row in rows[:limit]]
            tried: dict[int, list[dict]] = {}
            for attempt in conn.execute(
                select(attempts_table)
                .where(attempts_table.c.delivery_id.in_(ids))
                .order_by(attempts_table.c.id)
            ):
                tried.setdefault(attempt.delivery_id, []).append(
                    {
                        "at": attempt.attempted_at.isoformat(),
                        "status": attempt.status,
                        "latency_ms": attempt.latency_ms,
                        "error": attempt.error,
                    }
                )
        items = [
            {
                "id": row.id,
                "event_id": row.event_id,
                "event_type": row.event_type,
                "worker_id": row.worker_id,
                "state": row.state,
                "queued_at": row.created_at.isoformat(),
                "next_attempt_at": row.next_attempt_at.isoformat()
                if row.next_attempt_at and row.state == domain.PENDING
                else None,
                "delivered_at": row.delivered_at.isoformat() if row.delivered_at else None,
                "replay_of": row.replay_of,
                "attempts": tried.get(row.id, []),
            }
            for row in rows[:limit]
        ]
        return {"items": items, "next_before": rows[limit - 1].id if len(rows) > limit else None}

    def replay(
        self,
        endpoint_id: str,
        now: dt.datetime,
        delivery_id: int | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> int:
        """Queue again, through the same path, one delivery or those queued in a time range
        (delivered or given up; what is still pending will be delivered anyway); how many. A
        replay carries the same event id: a receiver that has it drops it."""
        endpoint = self.get(endpoint_id)
        d = deliveries_table
        query = select(d).where(
            d.c.endpoint_id == endpoint.id,
            d.c.state != domain.PENDING,
            d.c.state != domain.WITHHELD,
        )
        if delivery_id is not None:
            query = query.where(d.c.id == delivery_id)
        elif since is not None:
            query = query.where(d.c.created_at >= since)
            if until is not None:
                query = query.where(d.c.created_at < until)
        else:
            raise InvalidInput("nothing to replay", {"since": ["name a delivery or a time range"]})
        with self.engine.begin() as conn:
            rows = conn.execute(query.order_by(d.c.id)).all()
            if delivery_id is not None and not rows:
                raise NotFound(f"no finished delivery {delivery_id} of endpoint {endpoint_id}")
            if rows:
                conn.execute(
                    insert(d),
                    [
                        {
                            "endpoint_id": row.endpoint_id,
                            "agency": row.agency,
                            "worker_id": row.worker_id,
                            "order_key": row.order_key,
                            "occurred_at": row.occurred_at,
                            "sequence": row.sequence,
                            "event_id": row.event_id,
                            "event_type": row.event_type,
                            "envelope": row.envelope,
                            "state": domain.PENDING,
                            "attempts": 0,
                            "created_at": now,
                            "next_attempt_at": now,
                            "replay_of": row.id,
                        }
                        for row in rows
                    ],
                )
        return len(rows)

    # how each endpoint is doing, for the operators' console ----------------------------------

    def health(self, now: dt.datetime, walk: int = HEALTH_WALK) -> list[dict]:
        """Each endpoint: enabled or not (and why), its last success, how many attempts failed
        since, how many deliveries wait and how old the oldest is. Bounded work per endpoint:
        pending ones are counted from the head index, and the failures since the last success
        are read newest first, at most ``walk`` of them (more: ``consecutive_failures`` is
        ``walk`` and ``more_failures`` is true)."""
        d, a = deliveries_table, attempts_table
        with self.engine.connect() as conn:
            waiting = {
                row.endpoint_id: row
                for row in conn.execute(
                    select(
                        d.c.endpoint_id,
                        func.count().label("pending"),
                        func.min(d.c.created_at).label("oldest"),
                    )
                    .where(d.c.state == domain.PENDING)
                    .group_by(d.c.endpoint_id)
                )
            }
            rows = []
            for endpoint in self.of_agency():
                tried = conn.execute(
                    select(a.c.status, a.c.attempted_at)
                    .where(a.c.endpoint_id == endpoint.id)
                    .order_by(a.c.id.desc())
                    .limit(walk + 1)
                ).all()
                failures = 0
                last_success = None
                for attempt in tried:
                    if attempt.status is not None and 200 <= attempt.status < 300:
                        last_success = attempt.attempted_at
                        break
                    failures += 1
                pending = waiting.get(endpoint.id)
                rows.append(
                    {
                        "id": endpoint.id,
                        "agency": endpoint.agency,
                        "url": shown_url(endpoint.url),  # a query may hold a token
                        "description": endpoint.description,
                        "status": endpoint.status,
                        "disabled_reason": endpoint.disabled_reason,
                        "failing_since": endpoint.failing_since.isoformat()
                        if endpoint.failing_since
                        else None,
                        "last_success_at": last_success.isoformat() if last_success else None,
                        "consecutive_failures": min(failures, walk),
                        "more_failures": failures > walk,
                        "pending": pending.pending if pending else 0,
                        "oldest_pending_age_seconds": round(
                            (now - pending.oldest).total_seconds(), 1
                        )
                        if pending
                        else None,
                    }
                )
        return rows

    # the dispatcher's side --------------------------------------------------------------------

    def due(self, endpoint_id: str, now: dt.datetime, limit: int, lease: dt.timedelta) -> list:
        """Up to ``limit`` deliveries of the endpoint due now, each the earliest still pending
        of its worker (by when it occurred, then the source's sequence: a worker's next event
        waits for the one before), leased for ``lease``: no other dispatcher takes them
        meanwhile."""
        d = deliveries_table
        heads = (
            select(
                d.c.id,
                d.c.next_attempt_at,
                func.row_number()
                .over(
                    partition_by=d.c.order_key,
                    order_by=(d.c.occurred_at, d.c.sequence, d.c.id),
                )
                .label("place"),
            )
            .where(d.c.endpoint_id == endpoint_id, d.c.state == domain.PENDING)
            .subquery()
        )
        with self.engine.begin() as conn:
            ids = list(
                conn.execute(
                    select(heads.c.id)
                    .where(heads.c.place == 1, heads.c.next_attempt_at <= now)
                    .order_by(heads.c.id)
                    .limit(limit)
                ).scalars()
            )
            if not ids:
                return []
            # taken only if still due: another dispatcher may have leased it meanwhile
            return conn.execute(
                update(d)
                .where(d.c.id.in_(ids), d.c.next_attempt_at <= now)
                .values(next_attempt_at=now + lease)
                .returning(d)
            ).all()

    def record_attempt(
        self,
        conn,
        delivery,
        at: dt.datetime,
        status: int | None,
        latency_ms: int,
        error: str | None,
        response: str | None,
        state: str,
        next_attempt_at: dt.datetime | None,
    ) -> None:
        conn.execute(
            insert(attempts_table).values(
                delivery_id=delivery.id,
                endpoint_id=delivery.endpoint_id,
                attempted_at=at,
                status=status,
                latency_ms=latency_ms,
                error=error,
                response=(response or "")[:RESPONSE_KEPT] or None,
            )
        )
        conn.execute(
            update(deliveries_table)
            .where(deliveries_table.c.id == delivery.id)
            .values(
                state=state,
                attempts=deliveries_table.c.attempts + 1,
                next_attempt_at=next_attempt_at,
                last_error=error,
                delivered_at=at if state == domain.DELIVERED else None,
            )
        )

    def mark_failing(self, conn, endpoint_id: str, since: dt.datetime | None) -> None:
        """An endpoint failing since ``since`` (None: it answers again)."""
        column = table.c.failing_since
        query = update(table).where(table.c.id == endpoint_id)
        # only a change writes (and locks) the endpoint's row: deliveries in flight to one
        # endpoint do not queue behind each other on it
        query = query.where(column.is_(None) if since is not None else column.is_not(None))
        conn.execute(query.values(failing_since=since))
