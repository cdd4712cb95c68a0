"""Prometheus metrics of the services' event flow, and the HTTP endpoint that exports them.

- ``pmi_events_published_total{service,event_type}``: events the outbox relay published;
- ``pmi_events_handled_total{service,event_type,outcome}``: events handled, ``outcome`` being
  ``ok``, ``retried`` (failed, will be tried again) or ``dead_lettered`` (failed for good);
- ``pmi_dead_letters_total{service}``: messages moved to the service's dead-letter queue,
  malformed ones included;
- ``pmi_event_handler_seconds{service,event_type}``: how long a handler ran;
- ``pmi_outbox_backlog{service}`` and ``pmi_outbox_oldest_age_seconds{service}``: outbox rows not
  yet published and the age of the oldest, read from the database when scraped.

A service has ``metrics = MetricsServer()``; with ``METRICS_PORT`` set (above 0) its process serves
every metric at ``http://<host>:<port>/metrics``.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import eventlet
import eventlet.wsgi
import structlog
from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY, Counter, Histogram, generate_latest, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func, select

from .tables import MessagingTables

log = structlog.get_logger(__name__)

EVENTS_PUBLISHED = Counter(
    "pmi_events_published_total", "Events published by the outbox relay", ["service", "event_type"]
)
EVENTS_HANDLED = Counter(
    "pmi_events_handled_total",
    "Events handled, by outcome: ok, retried or dead_lettered",
    ["service", "event_type", "outcome"],
)
DEAD_LETTERS = Counter(
    "pmi_dead_letters_total", "Messages moved to the dead-letter queue", ["service"]
)
HANDLER_SECONDS = Histogram(
    "pmi_event_handler_seconds",
    "Time an event handler ran",
    ["service", "event_type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

OK, RETRIED, DEAD_LETTERED = "ok", "retried", "dead_lettered"


def events_published(service: str, event_types: list[str]) -> None:
    for event_type in event_types:
        EVENTS_PUBLISHED.labels(service, event_type).inc()


def event_handled(service: str, event_type: str, outcome: str, seconds: float | None) -> None:
    EVENTS_HANDLED.labels(service, event_type, outcome).inc()
    if seconds is not None:
        HANDLER_SECONDS.labels(service, event_type).observe(seconds)


def dead_lettered(service: str) -> None:
    DEAD_LETTERS.labels(service).inc()


def exposition() -> tuple[bytes, str]:
    """Every metric of this process in Prometheus' text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class OutboxCollector:
    """Outbox backlog and oldest age of each service in this process, read on each scrape."""

    def __init__(self) -> None:
        self._databases: dict[str, Any] = {}
        self._lock = threading.Lock()

    def watch(self, service: str, database) -> None:
        """``database``: the service's ``Database`` provider (``engine`` and ``tables``)."""
        with self._lock:
            self._databases[service] = database

    def forget(self, service: str) -> None:
        with self._lock:
            self._databases.pop(service, None)

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield from self._families()

    def _families(self) -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(
                "pmi_outbox_backlog", "Outbox rows not yet published", labels=["service"]
            ),
            GaugeMetricFamily(
                "pmi_outbox_oldest_age_seconds",
                "Age of the oldest outbox row not yet published (0 when none)",
                labels=["service"],
            ),
        )

    def collect(self) -> Iterator[GaugeMetricFamily]:
        backlog, age = self._families()
        with self._lock:
            databases = dict(self._databases)
        for service, database in sorted(databases.items()):
            try:
                if getattr(database, "engine", None) is None:
                    continue  # not set up yet
                count, oldest = outbox_state(database.engine, database.tables)
            except Exception as exc:  # noqa: BLE001 - a scrape must not fail for one service
                log.warning("outbox_metrics_unavailable", service=service, error=str(exc))
                continue
            backlog.add_metric([service], count)
            age.add_metric([service], oldest or 0.0)
        yield backlog
        yield age


def outbox_state(engine, tables) -> tuple[int, float | None]:
    """Unpublished outbox rows and the age in seconds of the oldest (None when there is none)."""
    outbox = tables.outbox
    with engine.connect() as conn:
        count, oldest = conn.execute(
            select(func.count(), func.min(outbox.c.occurred_at)).where(
                outbox.c.published_at.is_(None)
            )
        ).one()
    if oldest is None:
        return count, None
    oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.UTC)
    return count, max(0.0, (dt.datetime.now(dt.UTC) - oldest).total_seconds())


OUTBOX = OutboxCollector()
REGISTRY.register(OUTBOX)


class MetricsServer(DependencyProvider):
    """Serves this process's metrics over HTTP when ``METRICS_PORT`` is set (above 0), and adds
    the service's outbox gauges (from its ``Database`` dependency) to them."""

    def setup(self):
        config = self.container.config
        self.port = int(config.get("METRICS_PORT") or 0)
        self.host = config.get("METRICS_HOST", "0.0.0.0")
        self._sock = None
        self._thread = None

    def start(self):
        database = next(
            (
                d
                for d in self.container.dependencies
                if isinstance(getattr(d, "tables", None), MessagingTables)
            ),
            None,
        )
        if database is not None:  # the service's ``Database``, set up by now
            OUTBOX.watch(self.container.service_name, database)
        if self.port <= 0:
            return
        self._sock = eventlet.listen((self.host, self.port))
        app = make_wsgi_app(REGISTRY)
        self._thread = self.container.spawn_managed_thread(
            lambda: eventlet.wsgi.server(self._sock, app, log_output=False),
            identifier="metrics-server",
        )
        log.info("metrics_served", port=self.port)

    def stop(self):
        OUTBOX.forget(self.container.service_name)
        if self._thread is not None:
            self._thread.kill()
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return None
