"""The agencies service's webhook dispatcher: delivers each endpoint's queued events over HTTP.

Each endpoint is scheduled on its own: every round takes, per enabled endpoint with room, its
due deliveries that are the oldest pending one of their worker (a worker's next event waits
while an earlier one is undelivered: in order per worker per endpoint), leases them in the
database (several agencies processes never send one twice at once), and sends each in a green
thread of a bounded pool, at most ``per_endpoint`` (8) at once per endpoint: a slow or dead endpoint
holds its own slots, never the others'. Each request has a total deadline, refuses redirects and
reads at most ``response_limit`` bytes of the answer; its target is checked (``TargetPolicy``)
before every attempt, after resolving the host.

Every attempt is recorded (time, status, latency, error). Any 2xx is delivered (and recorded as
a disclosure, channel ``webhook``); anything else is retried on the ``RetryPolicy``'s schedule
until its horizon, then given up (``expired``, kept in the log, replayable). A 410 disables the
endpoint; so does failing for longer than ``disable_after``: the reason is kept on the endpoint,
where the agency reads it, and a notice for the agency's contact and the operators is kept in
the same transaction (``services.agencies.notices``, mailed by ``notice_mailer``); the log says so
(a
``webhook_endpoint_disabled`` warning) and so does the metric
``pmi_webhook_endpoints_disabled_total``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import eventlet
import structlog
import urllib3
from prometheus_client import Counter as Metric
from prometheus_client import Histogram

from services.agencies import domain
from services.agencies.agreement_repository import AgreementRepository
from services.agencies.targets import target_policy
from services.agencies.webhook_repository import WebhookRepository

from .cloud_events import DEFAULT_CATALOGUE_URL
from .delivery import Rounds, disclosure, still_granted
from .handlers import Cached
from .repository import AgenciesRepository
from .webhook_message import signed_request

log = structlog.get_logger(__name__)

ATTEMPTS = Metric(
    "pmi_webhook_attempts_total", "Webhook delivery attempts, by outcome", ["outcome"]
)
LATENCY = Histogram(
    "pmi_webhook_attempt_seconds",
    "Time a webhook attempt took",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
DISABLED = Metric(
    "pmi_webhook_endpoints_disabled_total",
    "Webhook endpoints disabled by the platform, by reason",
    ["reason"],
)

IDLE_POLL_SECONDS = 0.2
LONGEST_REST_SECONDS = 60.0  # an endpoint that failed is left alone at most this long


@dataclass(frozen=True)
class WebhookSettings:
    retries: domain.RetryPolicy = domain.RetryPolicy()
    targets: domain.TargetPolicy = domain.TargetPolicy()
    timeout: float = 10.0  # seconds for a whole attempt: connect, send, answer
    response_limit: int = 4096  # bytes of an answer read
    disable_after: float = 5 * 24 * 3600.0  # seconds failing before the endpoint is disabled
    concurrency: int = 50  # requests at once, all endpoints together
    per_endpoint: int = 8  # requests at once to one endpoint
    catalogue_url: str = DEFAULT_CATALOGUE_URL

    @classmethod
    def from_config(cls, config: dict) -> WebhookSettings:
        """From the process's config (``WEBHOOK_*``; see docs/agencies.md)."""
        retries = domain.RetryPolicy(
            schedule=domain.parse_schedule(config.get("WEBHOOK_RETRY_SCHEDULE")),
            horizon=float(config.get("WEBHOOK_RETRY_HORIZON") or domain.RetryPolicy.horizon),
        )
        chosen = {"retries": retries, "targets": target_policy(config)}
        for name, key in (
            ("timeout", "WEBHOOK_TIMEOUT"),
            ("disable_after", "WEBHOOK_DISABLE_AFTER"),
        ):
            if config.get(key) not in (None, ""):
                chosen[name] = float(config[key])
        if config.get("ASYNCAPI_URL"):
            chosen["catalogue_url"] = config["ASYNCAPI_URL"]
        return dataclasses.replace(cls(), **chosen)


@dataclass(frozen=True)
class Answer:
    status: int | None
    latency_ms: int
    error: str | None
    body: str | None


class WebhookDispatcher(Rounds):
    retrying = "webhook_dispatch_retrying"

    def __init__(
        self,
        webhooks: WebhookRepository,
        agreements: AgreementRepository,
        settings: WebhookSettings,
    ):
        super().__init__()
        self.webhooks = webhooks
        self.agreements = agreements
        self.settings = settings
        self.endpoints = Cached(webhooks.of_agency, ttl=1.0)
        self.pool = eventlet.GreenPool(settings.concurrency)
        self.in_flight: Counter[str] = Counter()
        self.resting: dict[str, float] = {}  # endpoint -> monotonic time it may be tried again
        self.pools = Pools(settings.per_endpoint)
        self.delivered_total = 0

    def one_round(self) -> int:
        return self.dispatch_round()

    def dispatch_round(self) -> int:
        """Start the due deliveries of every endpoint with room; how many were started."""
        started = 0
        now = dt.datetime.now(dt.UTC)
        lease = dt.timedelta(seconds=self.settings.timeout + 30)
        for endpoint in self.endpoints.current():
            room = self.settings.per_endpoint - self.in_flight[endpoint.id]
            if (
                not endpoint.enabled
                or room <= 0
                or self.resting.get(endpoint.id, 0) > time.monotonic()
            ):
                continue
            for delivery in self.webhooks.due(endpoint.id, now, room, lease):
                self.in_flight[endpoint.id] += 1
                self.pool.spawn_n(self._attempt, endpoint, delivery)
                started += 1
        return started

    def _attempt(self, endpoint: domain.Endpoint, delivery) -> None:
        try:
            self.attempt(endpoint, delivery)
        except Exception as exc:  # noqa: BLE001 - the lease expires and it is tried again
            log.warning(
                "webhook_attempt_crashed",
                endpoint=endpoint.id,
                delivery=delivery.id,
                error=str(exc),
            )
        finally:
            self.in_flight[endpoint.id] -= 1
            if self.in_flight[endpoint.id] <= self.settings.per_endpoint // 2:
                self.wake()  # room for several: one query leases them together

    def attempt(self, endpoint: domain.Endpoint, delivery) -> None:
        now = dt.datetime.now(dt.UTC)
        endpoint = self.webhooks.get(endpoint.id)  # its secrets now: a rotation applies at once
        if not endpoint.enabled:
            return  # disabled since: the lease runs out, and it waits for the endpoint
        agreement = self.agreements.get(endpoint.agency)  # as of now, as the queue's relay
        # an agreement ended, or narrowed since the event was queued: what it no longer grants
        # stays here, exactly as on the agency's queue
        published = (
            still_granted(delivery.envelope, agreement)
            if agreement is not None and agreement.in_force(now)
            else None
        )
        if published is None:
            with self.webhooks.engine.begin() as conn:
                self.webhooks.record_attempt(
                    conn,
                    delivery,
                    now,
                    None,
                    0,
                    "the agency's agreement no longer grants it",
                    None,
                    domain.WITHHELD,
                    None,
                )
            log.warning(
                "webhook_delivery_withheld",
                agency=endpoint.agency,
                endpoint=endpoint.id,
                event_id=delivery.event_id,
            )
            return
        answer = self.send(endpoint, published, now)
        outcome = domain.outcome_of(answer.status)
        ATTEMPTS.labels("delivered" if outcome.delivered else "failed").inc()
        LATENCY.observe(answer.latency_ms / 1000)
        with self.webhooks.engine.begin() as conn:
            if outcome.delivered:
                self.webhooks.record_attempt(
                    conn,
                    delivery,
                    now,
                    answer.status,
                    answer.latency_ms,
                    None,
                    answer.body,
                    domain.DELIVERED,
                    None,
                )
                self.webhooks.mark_failing(conn, endpoint.id, None)
                AgenciesRepository(conn).record_disclosures(
                    [disclosure(endpoint.agency, "webhook", delivery, published)]
                    if delivery.worker_id
                    else [],
                    now,
                )
                self.resting.pop(endpoint.id, None)
                self.delivered_total += 1
                return
            retry_at = self.settings.retries.next_attempt(
                delivery.created_at, delivery.attempts + 1, now
            )
            self.webhooks.record_attempt(
                conn,
                delivery,
                now,
                answer.status,
                answer.latency_ms,
                answer.error,
                answer.body,
                domain.PENDING if retry_at else domain.EXPIRED,
                retry_at,
            )
            self.webhooks.mark_failing(conn, endpoint.id, now)
        rest = (retry_at - now).total_seconds() if retry_at else 0
        self.resting[endpoint.id] = time.monotonic() + min(rest, LONGEST_REST_SECONDS)
        log.info(
            "webhook_attempt_failed",
            agency=endpoint.agency,
            endpoint=endpoint.id,
            event_id=delivery.event_id,
            status=answer.status,
            error=answer.error,
            retry_at=retry_at.isoformat() if retry_at else None,
        )
        self._disable_if_due(endpoint, outcome, now)

    def _disable_if_due(
        self, endpoint: domain.Endpoint, outcome: domain.Outcome, now: dt.datetime
    ) -> None:
        current = self.webhooks.get(endpoint.id)
        if not current.enabled:
            return  # already (another attempt in flight found the same)
        if outcome.gone:
            reason = "gone"
            why = f"the receiver answered 410 Gone on {now.isoformat()}"
        else:
            failing_since = current.failing_since or now
            if (now - failing_since).total_seconds() < self.settings.disable_after:
                return
            reason = "failing"
            why = f"every attempt failed from {failing_since.isoformat()} to {now.isoformat()}"
        notice = self.webhooks.disable_by_platform(
            current,
            why + "; what waits is kept and is delivered once the endpoint is enabled again",
            now,
        )
        if notice is None:
            return  # another attempt in flight disabled it first
        self.endpoints.refresh()
        DISABLED.labels(reason).inc()
        log.warning(
            "webhook_endpoint_disabled",
            agency=endpoint.agency,
            endpoint=endpoint.id,
            host=urlsplit(endpoint.url).hostname,
            reason=reason,
            notice=notice,
            note="the agency's contact and the operators are told (notice); "
            "`pmi agency webhook enable` when fixed",
        )

    def send(self, endpoint: domain.Endpoint, published: dict, now: dt.datetime) -> Answer:
        """One signed POST, to the address the target policy checked (the connection is pinned
        to it: a DNS answer that changes after the check reaches nothing else); what came back,
        or why nothing did."""
        secrets = [self.webhooks.sealer.open(s) for s in endpoint.signing_secrets(now)]  # only here
        request = signed_request(published, secrets, now, self.settings.catalogue_url)
        started = time.monotonic()
        status = body = error = None
        try:
            addresses = self.settings.targets.check(endpoint.url)
            parts = urlsplit(endpoint.url)
            pool = self.pools.of(parts, addresses[0])
            with eventlet.Timeout(self.settings.timeout):
                response = pool.urlopen(
                    "POST",
                    urlunsplit(("", "", parts.path or "/", parts.query, "")),
                    body=request.body,
                    headers={**request.headers, "host": parts.netloc},
                    redirect=False,
                    retries=False,
                    preload_content=False,
                    timeout=urllib3.Timeout(total=self.settings.timeout + 1),
                )
                try:
                    status = response.status
                    body = response.read(self.settings.response_limit, decode_content=True).decode(
                        errors="replace"
                    )
                finally:
                    response.release_conn()
            if 300 <= status < 400:
                error = f"redirect to {response.headers.get('location')!r} refused"
            elif not 200 <= status < 300:
                error = f"HTTP {status}"
        except domain.TargetRefused as exc:
            error = f"target refused: {exc}"
        except urllib3.exceptions.NewConnectionError as exc:  # (a ConnectTimeoutError too)
            error = f"ConnectionError: {exc}"[:300]
        except (eventlet.Timeout, urllib3.exceptions.TimeoutError):
            error = f"no answer within {self.settings.timeout:g}s"
        except urllib3.exceptions.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        return Answer(status, round((time.monotonic() - started) * 1000), error, body)


class Pools:
    """Connection pools per checked address: kept alive between deliveries to an endpoint,
    at most ``size`` connections each. TLS is verified against the URL's host name."""

    def __init__(self, size: int):
        self.size = size
        self.pools: dict[tuple, urllib3.HTTPConnectionPool] = {}

    def of(self, parts, address: str) -> urllib3.HTTPConnectionPool:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (parts.scheme, parts.hostname, address, port)
        if key not in self.pools:
            if parts.scheme == "https":
                self.pools[key] = urllib3.HTTPSConnectionPool(
                    address,
                    port,
                    maxsize=self.size,
                    block=False,
                    server_hostname=parts.hostname,
                    assert_hostname=parts.hostname,
                    cert_reqs="CERT_REQUIRED",
                )
            else:
                self.pools[key] = urllib3.HTTPConnectionPool(
                    address, port, maxsize=self.size, block=False
                )
        return self.pools[key]
