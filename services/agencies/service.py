"""The agencies service service: agencies receive events only through it.

It consumes every internal event (its quorum queue ``agencies.inbox`` is bound to every service
exchange, with the platform's inbox: applied once, retried, dead-lettered), applies each
agency's data-sharing agreement (``services.agencies.agreements.disclose``: types, fields, own
recruits for a placement company), and queues the published form for delivery in the same
transaction as the event's inbox record. Its relay (``delivery``) puts them into each agency's own
queue and records each disclosure. Backfill goes through the same filter: the agencies service pages
through the publishing services' history and queues what the agreement grants, like live events.

Its state lives in the gateway's database (agreements, disclosures, recruits, deliveries).
"""

from __future__ import annotations

import datetime as dt

from nameko.extensions import DependencyProvider

from pmi_common import contract as c
from pmi_common.context import LogContext
from pmi_common.errors import NotFound
from pmi_common.events import envelope_of
from pmi_common.inbox import handles
from pmi_common.metrics import MetricsServer
from pmi_common.operations import ServiceOperations
from pmi_common.rpc import TimedRpcProxy, rpc
from pmi_common.sealing import webhook_sealer
from pmi_common.store import Database

from . import handlers
from .delivery import DeliveryRelay
from .models import metadata
from .notice_mailer import MailSettings, NoticeMailer
from .published import pseudonym_key
from .reads import AgencyGrants
from .repository import AgenciesRepository
from .webhook_delivery import WebhookDispatcher, WebhookSettings
from .webhook_repository import WebhookRepository

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

    @property
    def key(self) -> str:
        return self.grants.key

    @property
    def webhooks(self) -> WebhookRepository:
        return WebhookRepository(self.grants.engine, self.grants.sealer)

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

    def _recruiter(self, worker_id: str) -> str | None:
        """The placement company registration has on record for a worker (None: unknown)."""
        try:
            return self.registration.get_worker(worker_id)["placement_agency"]
        except NotFound:
            return None
