"""The agencies service service: agencies receive events only through it.

It consumes every internal event (its quorum queue ``agencies.inbox`` is bound to every service
exchange, with the platform's inbox: applied once, retried, dead-lettered), applies each
agency's data-sharing agreement (``services.agencies.agreements.disclose``: types, fields, own
recruits for a placement company), and queues the published form for delivery in the same
transaction as the event's inbox record. Its relay (``delivery``) puts them into each agency's own
queue and records each disclosure. Backfill goes through the same filter: the agencies service pages
through the publishing services' history and queues what the agreement grants, like live events.

Its state lives in its own database (agreements, disclosures, recruits, deliveries, webhooks,
notices). The gateway reaches it downward: over RPC to record what agencies read over HTTP, to
answer a worker's disclosure record and export, and to manage agencies' webhook endpoints and
settings; it reads agreements, at every agency request, through a read-only role.
"""

from __future__ import annotations

import datetime as dt
import os

import structlog
from nameko.extensions import DependencyProvider

from pmi_common import contract as c
from pmi_common.agreement import Disclosure
from pmi_common.context import LogContext
from pmi_common.errors import NotFound
from pmi_common.events import envelope_of
from pmi_common.history import parse_moment
from pmi_common.inbox import handles
from pmi_common.metrics import MetricsServer
from pmi_common.operations import ServiceOperations, rows_about
from pmi_common.published import pseudonym_key
from pmi_common.rpc import TimedRpcProxy, rpc
from pmi_common.sealing import webhook_sealer
from pmi_common.store import Database

from . import asyncapi, handlers, move
from .delivery import DeliveryRelay
from .domain import UNSET
from .models import metadata
from .notice_mailer import MailSettings, NoticeMailer
from .reads import AgencyGrants
from .repository import AgenciesRepository
from .targets import target_policy
from .webhook_delivery import WebhookDispatcher, WebhookSettings
from .webhook_handlers import WebhookHandlers
from .webhook_repository import WebhookRepository

startup_log = structlog.get_logger(__name__)

EVERY_EVENT = tuple(spec.event_type for spec in c.handled_by(c.AGENCIES))


class Deliverers(DependencyProvider):
    """The agreements in force, the pseudonym key, the agencies' webhook endpoints, and what
    delivers to agencies: the relay (their queues), the dispatcher (their webhooks) and, with
    ``SMTP_URL``, the mailer of notices (an endpoint disabled)."""

    grants = AgencyGrants()  # the agreements and the key, as the gateway reads them

    # extensions are set up in no fixed order: ``grants`` is read once all are set up
    def setup(self):
        self.relay: DeliveryRelay | None = None
        self.dispatcher: WebhookDispatcher | None = None
        self.mailer: NoticeMailer | None = None
        self._agreements: handlers.Cached | None = None
        self._endpoints: handlers.Cached | None = None
        self._handlers: WebhookHandlers | None = None

    @property
    def key(self) -> str:
        return self.grants.key

    @property
    def webhooks(self) -> WebhookRepository:
        return WebhookRepository(self.grants.engine, self.grants.sealer)

    @property
    def endpoint_handlers(self) -> WebhookHandlers:
        """Endpoints and settings as operators and agencies change them (no state of a call's:
        one serves every call)."""
        if self._handlers is None:
            self._handlers = WebhookHandlers(
                self.webhooks, self.grants.agreements, target_policy(self.container.config)
            )
        return self._handlers

    @property
    def agreements(self) -> handlers.Cached:
        """``current()``: every agreement (read again every two seconds)."""
        if self._agreements is None:
            self._agreements = handlers.Cached(self.grants.agreements.all)
        return self._agreements

    @property
    def endpoints(self) -> handlers.Cached:
        """``current()``: each agency's enabled webhook endpoints (read again every second)."""
        if self._endpoints is None:
            self._endpoints = handlers.Cached(self.webhooks.enabled_by_agency, ttl=1.0)
        return self._endpoints

    def start(self):
        settings = WebhookSettings.from_config(self.container.config)
        self.relay = DeliveryRelay(
            self.grants.engine,
            self.container.config["AMQP_URI"],
            self.grants.agreements,
            settings.catalogue_url,
        )
        self.dispatcher = WebhookDispatcher(self.webhooks, self.grants.agreements, settings)
        self.container.spawn_managed_thread(self.relay.run, identifier="agency-delivery")
        self.container.spawn_managed_thread(self.dispatcher.run, identifier="webhook-delivery")
        mail = MailSettings.from_config(self.container.config)
        if mail is not None:  # without SMTP_URL, notices wait in the console
            self.mailer = NoticeMailer(self.grants.engine, mail)
            self.container.spawn_managed_thread(self.mailer.run, identifier="notice-mailer")

    def wake(self) -> None:
        for deliverer in (self.relay, self.dispatcher):
            if deliverer is not None:
                deliverer.wake()

    def stop(self):
        for deliverer in (self.relay, self.dispatcher, self.mailer):
            if deliverer is not None:
                deliverer.stop()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx) -> Deliverers:
        return self


class AgenciesService(ServiceOperations):
    name = c.AGENCIES
    # an agency receives each worker's events in the order the services published them
    events_in_order = True

    db = Database(metadata, relay=False, repository=AgenciesRepository)
    agencies = Deliverers()
    metrics = MetricsServer()
    registration = TimedRpcProxy(c.REGISTRATION)
    documents = TimedRpcProxy(c.DOCUMENTS)
    orientation = TimedRpcProxy(c.ORIENTATION)
    reintegration = TimedRpcProxy(c.REINTEGRATION)
    protection = TimedRpcProxy(c.PROTECTION)
    letters = TimedRpcProxy(c.LETTERS)
    log = LogContext()

    @classmethod
    def check_config(cls, config: dict) -> None:
        try:
            pseudonym_key(config)
            webhook_sealer(config)
            MailSettings.from_config(config)
        except ValueError as exc:
            raise SystemExit(f"the agencies service will not start: {exc}") from exc
        cls.check_tables_moved(config)

    @staticmethod
    def check_tables_moved(config: dict) -> None:
        """An upgraded deployment's agency rows are copied out of the gateway's database
        (``pmi agency move-tables``) before this service writes its first row: it waits for
        that, up to ``STARTUP_SECONDS``, then refuses to start, naming the command."""
        url = config.get(move.CATALOG_SETTING)
        if not url:
            startup_log.warning(
                "agency_tables_not_checked",
                why=f"{move.CATALOG_SETTING} unset: whether the gateway's database still holds "
                "agency tables to move (pmi agency move-tables) is not checked",
            )
            return
        seconds = config.get("STARTUP_SECONDS") or os.environ.get("STARTUP_SECONDS", "120")
        move.wait_for_the_move(url, float(seconds))

    @handles(*EVERY_EVENT)
    def on_event(self, event):
        envelope = envelope_of(event)
        now = dt.datetime.now(dt.UTC)
        self.db.apply_once(
            event,
            lambda uow: handlers.fan_out(
                uow.repository,
                envelope,
                self.agencies.agreements.current(),
                handlers.Recruiters(uow.repository, self._recruiter),
                self.agencies.key,
                now,
                self.agencies.endpoints.current(),
            ),
        )
        self.agencies.wake()

    @rpc
    def backfill(
        self, agency: str, event_types: list[str], since: str, endpoint_id: str | None = None
    ) -> dict[str, int]:
        """Queue for ``agency`` what its agreement grants of the history of ``event_types``
        since ``since`` (to its queue, or to its webhook ``endpoint_id`` only); how many events
        of each service were queued."""
        endpoint = self.agencies.webhooks.get(endpoint_id, agency) if endpoint_id else None
        agreement, by_source = handlers.history_asked(
            self.agencies.grants.agreements.get(agency),
            agency,
            event_types,
            since,
            dt.datetime.now(dt.UTC),
            endpoint,
        )
        endpoints = {agency: [endpoint]} if endpoint is not None else None
        queued = {
            source: self._backfill_from(source, types, since, agreement, endpoints)
            for source, types in by_source.items()
        }
        self.agencies.wake()
        return queued

    def _backfill_from(
        self, source: str, types: list[str], since: str, agreement, endpoints
    ) -> int:
        queued, after = 0, 0
        while True:
            page = getattr(self, source).history(types, since, after)
            if not page["events"]:
                return queued
            now = dt.datetime.now(dt.UTC)
            with self.db.transaction() as uow:  # a page: one statement per table, not per event
                recruiters = handlers.Recruiters(uow.repository, self._recruiter, batched=True)
                queued += handlers.fan_out_page(
                    uow.repository,
                    page["events"],
                    [agreement],
                    recruiters,
                    self.agencies.key,
                    now,
                    endpoints,
                    to_queues=endpoints is None,
                )
            after = page["after"]

    # what the gateway asks: the disclosure record ----------------------------------------------

    @rpc
    def record_disclosures(self, given: list[dict]) -> int:
        """Record what agencies read or gave over HTTP (before the gateway's answer leaves)."""
        with self.db.transaction() as uow:
            return uow.repository.record_disclosures(
                [Disclosure(**d) for d in given], dt.datetime.now(dt.UTC)
            )

    @rpc
    def asyncapi(self) -> dict:
        """The published contract as AsyncAPI 3 (what the gateway serves at ``/asyncapi.json``)."""
        return asyncapi.document()

    @rpc
    def agreement_in_force(self, agency: str) -> bool:
        """Whether ``agency`` is onboarded with its agreement in force now: the protection desk
        asks before it refers a case to it."""
        with self.db.queries() as repository:
            agreement = repository.agreement_of(agency)
        return agreement is not None and agreement.in_force(dt.datetime.now(dt.UTC))

    @rpc
    def disclosures_of(self, worker_id: str, limit: int = 50, cursor: str | None = None) -> dict:
        with self.db.transaction() as uow:
            return uow.repository.disclosures_of(worker_id, limit, cursor)

    @rpc
    def export_worker(self, worker_id: str) -> dict[str, list[dict]]:
        """Every row about the worker but the disclosure record (exported on its own)."""
        return rows_about(
            self.db.engine,
            metadata,
            worker_id,
            leave_out=("disclosures",),
            answers=self.db.answers,
        )

    # what the gateway asks: webhook endpoints and agencies' settings ------------------------------

    def _endpoint(self, endpoint_id: str, agency: str | None) -> str:
        """The endpoint's id, when ``agency`` (None: the staff) may reach it; else NotFound."""
        return self.agencies.webhooks.get(endpoint_id, agency).id

    @rpc
    def webhook(self, endpoint_id: str, agency: str | None = None) -> dict:
        handlers_ = self.agencies.endpoint_handlers
        return handlers_.view(handlers_.endpoints.get(endpoint_id, agency))

    @rpc
    def webhooks_of(self, agency: str) -> list[dict]:
        handlers_ = self.agencies.endpoint_handlers
        return [handlers_.view(e) for e in handlers_.endpoints.of_agency(agency)]

    @rpc
    def add_webhook(
        self, agency: str, url: str, events, changed_by: str, description: str = ""
    ) -> dict:
        handlers_ = self.agencies.endpoint_handlers
        endpoint, secret = handlers_.add(agency, url, events, changed_by, description)
        return {**handlers_.view(endpoint), "secret": secret}

    @rpc
    def edit_webhook(
        self, endpoint_id: str, agency: str | None, changed_by: str, changes: dict
    ) -> dict:
        handlers_ = self.agencies.endpoint_handlers
        return handlers_.view(
            handlers_.edit(
                self._endpoint(endpoint_id, agency),
                changed_by,
                changes.get("url"),
                changes.get("events"),
                changes.get("description"),
            )
        )

    @rpc
    def rotate_webhook_secret(
        self, endpoint_id: str, agency: str | None, changed_by: str, keep_old_for_hours=None
    ) -> dict:
        handlers_ = self.agencies.endpoint_handlers
        endpoint, secret = handlers_.rotate(
            self._endpoint(endpoint_id, agency),
            changed_by,
            dt.timedelta(hours=keep_old_for_hours) if keep_old_for_hours is not None else None,
        )
        return {**handlers_.view(endpoint), "secret": secret}

    @rpc
    def disable_webhook(
        self, endpoint_id: str, agency: str | None, changed_by: str, reason: str | None = None
    ) -> dict:
        handlers_ = self.agencies.endpoint_handlers
        return handlers_.view(
            handlers_.disable(self._endpoint(endpoint_id, agency), changed_by, reason)
        )

    @rpc
    def enable_webhook(self, endpoint_id: str, agency: str | None, changed_by: str) -> dict:
        handlers_ = self.agencies.endpoint_handlers
        return handlers_.view(handlers_.enable(self._endpoint(endpoint_id, agency), changed_by))

    @rpc
    def webhook_deliveries(self, endpoint_id: str, agency: str | None, query: dict) -> dict:
        """The endpoint's delivery log; what was withheld shown to the staff only."""
        since, until = query.get("since"), query.get("until")
        return self.agencies.webhooks.deliveries(
            self._endpoint(endpoint_id, agency),
            int(query.get("limit", 50)),
            parse_moment(since, "since") if since else None,
            parse_moment(until, "until") if until else None,
            query.get("before"),
            withheld=agency is None,
        )

    @rpc
    def replay_webhook(self, endpoint_id: str, agency: str | None, asked: dict) -> int:
        queued = self.agencies.endpoint_handlers.replay(
            self._endpoint(endpoint_id, agency),
            asked.get("delivery"),
            asked.get("since"),
            asked.get("until"),
        )
        self.agencies.wake()
        return queued

    @rpc
    def webhook_health(self) -> dict:
        return self.agencies.endpoint_handlers.health()

    @rpc
    def agency_settings(self, agency: str) -> dict:
        return self.agencies.endpoint_handlers.settings_of(agency).view()

    @rpc
    def change_agency_settings(self, agency: str, changed_by: str, changes: dict) -> dict:
        return self.agencies.endpoint_handlers.change_settings(
            agency,
            changed_by,
            changes.get("queue_format", UNSET),
            changes.get("contact_email", UNSET),
        ).view()

    def _recruiter(self, worker_id: str) -> str | None:
        """The placement company registration has on record for a worker (None: unknown)."""
        try:
            return self.registration.get_worker(worker_id)["placement_agency"]
        except NotFound:
            return None
