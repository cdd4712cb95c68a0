"""What the gateway's own endpoints read: its request metrics, its database and the broker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import eventlet
from nameko.extensions import DependencyProvider
from sqlalchemy import select

from pmi_common.context import actor_of
from pmi_common.operations import rows_about

from . import access_log, health
from .agreements import Agreements
from .http import GatewayWebServer
from .idempotency import IdempotencyKeys
from .metrics import RequestMetrics
from .models import idempotency_keys, metadata
from .revocations import Revocations
from .roles import WORKER


@dataclass(frozen=True)
class GatewayState:
    metrics: RequestMetrics
    ping_database: Callable[[], None]
    amqp_uri: str
    readiness_seconds: float  # how long each readiness check may take (READINESS_TIMEOUT)


class Gateway(DependencyProvider):
    server = GatewayWebServer()
    keys = IdempotencyKeys()

    def start(self):
        # once every extension is set up (the server's metrics), the same for every request
        config = self.container.config
        self.state = GatewayState(
            self.server.metrics,
            self.keys.ping,
            config["AMQP_URI"],
            float(config.get("READINESS_TIMEOUT", health.READINESS_TIMEOUT)),
        )

    def get_dependency(self, worker_ctx) -> GatewayState:
        return self.state


@dataclass(frozen=True)
class OwnRecords:
    """What the gateway's own database holds about a worker (``held_about``)."""

    engine: Any

    def held_about(self, worker_id: str) -> dict[str, list[dict]]:
        """Every row about the worker but the access log (who on the staff read the record is
        the DPO's audit); the worker's own keyed writes as the idempotency store keeps them:
        request and answer as digests."""
        held = rows_about(self.engine, metadata, worker_id, leave_out=("access_log",))
        keys = idempotency_keys
        with self.engine.connect() as conn:
            own = conn.execute(
                select(*(c for c in keys.columns if c.name != "sealed"))
                .where(keys.c.principal == f"{WORKER}:{worker_id}")
                .order_by(keys.c.created_at)
            ).mappings()
            own_keys = [{k: _iso(v) for k, v in row.items()} for row in own]
        if own_keys:
            held[keys.name] = own_keys
        return held


def _iso(value):
    return value.isoformat() if isinstance(value, dt.datetime) else value


class GatewayRecords(DependencyProvider):
    keys = IdempotencyKeys()

    def get_dependency(self, worker_ctx) -> OwnRecords:
        return OwnRecords(self.keys.engine)


@dataclass(frozen=True)
class Access:
    """Who may still reach the records (revocation) and who read them (the access log)."""

    engine: Any
    revocations: Any  # revocations.Revocations: its memory of answers is cleared on a revocation

    def revoke_subject(self, subject: str, by: str, reason: str | None) -> dt.datetime:
        return self.revocations.revoke_subject(subject, by, reason)

    def log_of_worker(self, worker_id: str, limit: int, cursor: str | None) -> dict:
        with self.engine.connect() as conn:
            return access_log.of_worker(conn, worker_id, limit, cursor)


class AccessRecord(DependencyProvider):
    keys = IdempotencyKeys()  # its engine: the gateway's own database
    revocations = Revocations()  # the one the web server asks (a shared extension)

    def get_dependency(self, worker_ctx) -> Access:
        return Access(self.keys.engine, self.revocations)


class CallersAgreement(DependencyProvider):
    """The calling agency's agreement in force, when asked (a function: most requests are not
    an agency's, and none should pay for reading it)."""

    grants = Agreements()

    def get_dependency(self, worker_ctx) -> Callable[[], Any]:
        actor = actor_of(worker_ctx) or {}
        return lambda: self.grants.agreement_of(actor.get("agency"))


class Caller(DependencyProvider):
    """Who the request is for (role, agency, subject), as the HTTP handler put it in the
    worker's context; None for an anonymous caller."""

    def get_dependency(self, worker_ctx) -> dict | None:
        return actor_of(worker_ctx)


def gather(calls: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Make every call at once; each name gets its answer or the exception it raised."""

    def run(name: str) -> Any:
        try:
            return calls[name]()
        except Exception as exc:  # noqa: BLE001 - the caller decides what a failure means
            return exc

    pool = eventlet.GreenPool(len(calls) or 1)
    return dict(zip(calls, pool.imap(run, calls), strict=True))
