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
from pmi_common.operations import received, rows_about
from pmi_common.tables import combined
from services.agencies.domain import Disclosure
from services.agencies.models import messaging
from services.agencies.models import metadata as agencies_metadata
from services.agencies.reads import AgencyGrants
from services.agencies.repository import AgenciesRepository
from services.agencies.targets import target_policy
from services.agencies.webhook_handlers import WebhookHandlers
from services.agencies.webhook_repository import WebhookRepository

from . import access_log
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


class Gateway(DependencyProvider):
    server = GatewayWebServer()
    keys = IdempotencyKeys()

    def get_dependency(self, worker_ctx) -> GatewayState:
        return GatewayState(self.server.metrics, self.keys.ping, self.container.config["AMQP_URI"])


@dataclass(frozen=True)
class AgencyRecords:
    """What the gateway's database holds about a worker: who received what about them
    (``of_worker(worker_id, limit, cursor)``) and the agencies service's rows (``held_about``)."""

    engine: Any

    def of_worker(self, worker_id: str, limit: int, cursor: str | None) -> dict:
        with self.engine.connect() as conn:
            return AgenciesRepository(conn).disclosures_of(worker_id, limit, cursor)

    def held_about(self, worker_id: str) -> dict[str, list[dict]]:
        """Every other row about the worker (who recruited them, events waiting for agencies).
        Not the access log: who on the staff read the record is the DPO's audit. The worker's
        own keyed writes as the idempotency store keeps them: request and answer as digests."""
        held = rows_about(
            self.engine,
            combined(metadata, agencies_metadata),
            worker_id,
            leave_out=("disclosures", "access_log"),
        )
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

    def received_from(self, given: Disclosure) -> None:
        """Record what an agency gave the platform (its answer on a case referred to it)."""
        with self.engine.begin() as conn:
            AgenciesRepository(conn).record_disclosures([given], dt.datetime.now(dt.UTC))

    def received_events(self, event_ids: list[str]) -> list[dict]:
        """The agencies service's inbox rows of those events."""
        return received(self.engine, messaging.inbox, event_ids)


def _iso(value):
    return value.isoformat() if isinstance(value, dt.datetime) else value


class DisclosureRecord(DependencyProvider):
    grants = AgencyGrants()

    def get_dependency(self, worker_ctx) -> AgencyRecords:
        return AgencyRecords(self.grants.engine)


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
    grants = AgencyGrants()
    revocations = Revocations()  # the one the web server asks (a shared extension)

    def get_dependency(self, worker_ctx) -> Access:
        return Access(self.grants.engine, self.revocations)


class CallersAgreement(DependencyProvider):
    """The calling agency's agreement in force, when asked (a function: most requests are not
    an agency's, and none should pay for reading it)."""

    grants = AgencyGrants()

    def get_dependency(self, worker_ctx) -> Callable[[], Any]:
        actor = actor_of(worker_ctx) or {}
        return lambda: self.grants.agreement_of(actor.get("agency"))


class Webhooks(DependencyProvider):
    """Agencies' webhook endpoints and their delivery log (``WebhookHandlers``). The handlers keep
    no state of a request's: one, built at the first request, serves them all (every request
    pays for each of the gateway's dependencies, whichever route it calls)."""

    grants = AgencyGrants()
    handlers: WebhookHandlers | None = None

    def get_dependency(self, worker_ctx) -> WebhookHandlers:
        if self.handlers is None:
            self.handlers = WebhookHandlers(
                WebhookRepository(self.grants.engine, self.grants.sealer),
                self.grants.agreements,
                target_policy(self.container.config),
            )
        return self.handlers


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
