"""Each service exports its event flow to Prometheus, and the stack's Prometheus scrapes it."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
import yaml
from nameko.testing.services import entrypoint_hook
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, insert

from gateway.testing import free_port
from pmi_common import contract as c
from pmi_common.metrics import OUTBOX, MetricsServer
from pmi_common.store import messaging_tables
from services.registration.models import metadata
from services.registration.service import RegistrationService
from tests.events import envelope, publish
from tests.helpers import take_message, wait_for, worker_payload

ROOT = Path(__file__).resolve().parents[2]


class Registration(RegistrationService):
    """The registration service with its metrics endpoint."""

    metrics = MetricsServer()


@pytest.fixture
def metrics_port():
    return free_port()


@pytest.fixture
def registration(container_factory, config_for, metrics_port):
    container = container_factory(
        Registration,
        config_for(
            "registration",
            METRICS_PORT=metrics_port,
            METRICS_HOST="127.0.0.1",
            EVENT_RETRY_DELAYS=(0.05, 0.05, 0.05),
        ),
    )
    container.start()
    return container


def scrape(port: int) -> dict[tuple, float]:
    """Every sample served, keyed by (name, sorted labels)."""
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_published_and_handled_events_are_counted_by_type_and_outcome(
    registration, metrics_port, rabbit_config
):
    before = scrape(metrics_port)
    with entrypoint_hook(registration, "register_worker") as register:
        worker = register(worker_payload())
    publish(
        rabbit_config["AMQP_URI"],
        envelope(
            c.DOCUMENTS_COMPLETED, worker["id"], {"document_ids": ["d1"], "earliest_expiry": None}
        ),
    )

    def counted(name, **labels):
        return lambda: value(scrape(metrics_port), name, **labels) > value(before, name, **labels)

    wait_for(
        counted(
            "pmi_events_published_total", service=c.REGISTRATION, event_type=c.WORKER_REGISTERED
        ),
        message="the publish counted",
    )
    wait_for(
        counted(
            "pmi_events_handled_total",
            service=c.REGISTRATION,
            event_type=c.DOCUMENTS_COMPLETED,
            outcome="ok",
        ),
        message="handled counted",
    )
    after = scrape(metrics_port)
    assert (
        value(
            after,
            "pmi_event_handler_seconds_count",
            service=c.REGISTRATION,
            event_type=c.DOCUMENTS_COMPLETED,
        )
        == value(
            before,
            "pmi_event_handler_seconds_count",
            service=c.REGISTRATION,
            event_type=c.DOCUMENTS_COMPLETED,
        )
        + 1
    )
    assert value(after, "pmi_outbox_backlog", service=c.REGISTRATION) == 0


def test_failures_and_dead_letters_are_counted(registration, metrics_port, rabbit_config):
    before = scrape(metrics_port)
    publish(
        rabbit_config["AMQP_URI"],
        envelope(
            c.DOCUMENT_REJECTED,
            str(uuid.uuid4()),
            {
                "document_id": "d1",
                "document_type": "passport",
                "reason": "blurred",
                "checklist_complete": False,
            },
        ),
    )
    wait_for(
        lambda: take_message(rabbit_config["AMQP_URI"], "registration.dead-letter"),
        message="the event dead-lettered",
    )

    after = wait_for(
        lambda: (
            (s := scrape(metrics_port))
            and value(s, "pmi_dead_letters_total", service=c.REGISTRATION)
            > value(before, "pmi_dead_letters_total", service=c.REGISTRATION)
            and s
        ),
        message="the dead letter counted",
    )
    labels = {"service": c.REGISTRATION, "event_type": c.DOCUMENT_REJECTED}
    assert (
        value(after, "pmi_events_handled_total", outcome="retried", **labels)
        - value(before, "pmi_events_handled_total", outcome="retried", **labels)
        == 3
    )
    assert (
        value(after, "pmi_events_handled_total", outcome="dead_lettered", **labels)
        - value(before, "pmi_events_handled_total", outcome="dead_lettered", **labels)
        == 1
    )


def test_the_outbox_backlog_and_its_oldest_age_are_read_when_scraped(database_urls, metrics_port):
    engine = create_engine(database_urls["registration"])
    tables = messaging_tables(metadata)
    with engine.begin() as conn:
        conn.execute(
            insert(tables.outbox).values(
                event_id=str(uuid.uuid4()),
                event_type=c.WORKER_REGISTERED,
                event_version=1,
                worker_id=None,
                stream_id="s-1",
                sequence=1,
                envelope={},
                occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
            )
        )
    OUTBOX.watch("stuck-service", SimpleNamespace(engine=engine, tables=tables))
    try:
        families = {family.name: family for family in OUTBOX.collect()}
    finally:
        OUTBOX.forget("stuck-service")
        engine.dispose()
    backlog = {s.labels["service"]: s.value for s in families["pmi_outbox_backlog"].samples}
    age = {s.labels["service"]: s.value for s in families["pmi_outbox_oldest_age_seconds"].samples}
    assert backlog["stuck-service"] == 1 and age["stuck-service"] >= 300


def test_prometheus_scrapes_every_service_on_its_compose_metrics_port_and_no_token_route():
    config = yaml.safe_load((ROOT / "infra/prometheus/prometheus.yml").read_text())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    targets = {
        target: job.get("metrics_path", "/metrics")
        for job in config["scrape_configs"]
        for group in job["static_configs"]
        for target in group["targets"]
    }
    for service in c.SERVICES:
        port = compose[service]["environment"]["METRICS_PORT"]
        assert targets.get(f"{service}:{port}") == "/metrics", service
    # the gateway's /api/v1/metrics answers an admin token (12 hours at most), which a static
    # scrape configuration cannot hold: a target there would only ever get 401
    gateway_port = compose["gateway"]["environment"]["GATEWAY_ADDRESS"].rsplit(":", 1)[1]
    assert f"gateway:{gateway_port}" not in targets
    assert "/api/v1/metrics" not in targets.values()
