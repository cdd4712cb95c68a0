"""The agencies' subscriber example, run as an agency runs it, against the registration service
publishing real events that the agencies service puts into an onboarded agency's queue."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from kombu import Connection
from nameko.testing.services import entrypoint_hook
from sqlalchemy import create_engine, text

from pmi_common import contract as c
from services.agencies.published import disclose
from services.registration.service import RegistrationService
from tests.events import envelope
from tests.helpers import queue_depth, wait_for, worker_payload
from tests.integration.test_agencies import agencies  # noqa: F401 - the fixture
from tests.integration.test_agency_delivery import agencies_service  # noqa: F401 - the fixture

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "agency_subscriber.py"


class RunningSubscriber:
    """The example as a process; its JSON lines read back from a file."""

    def __init__(self, amqp_uri: str, queue: str, workdir: Path):
        self.output = workdir / "subscriber.out"
        self.stderr = workdir / "subscriber.err"
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(EXAMPLE),
                "--queue",
                queue,
                "--state",
                str(workdir / "agency.sqlite"),
                "--prefetch",
                "5",
            ],
            env={**os.environ, "AMQP_URI": amqp_uri},
            stdout=self.output.open("w"),
            stderr=self.stderr.open("w"),
        )

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.output.read_text().splitlines() if line]

    def outcomes(self, outcome: str) -> list[dict]:
        return [line for line in self.lines() if line["outcome"] == outcome]

    def wait_until(self, predicate, message: str) -> list[dict]:
        def check():
            if self.process.poll() is not None:
                raise AssertionError(f"the subscriber exited: {self.stderr.read_text()}")
            return predicate(self.lines())

        wait_for(check, message=message)
        return self.lines()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@pytest.fixture
def registration(container_factory, config_for):
    container = container_factory(RegistrationService, config_for("registration"))
    container.start()
    return container


@pytest.fixture
def bpjs(agencies):  # noqa: F811 - the fixture imported above
    return agencies.onboard(
        "bpjs", [c.WORKER_REGISTERED, c.WORKER_STATUS_CHANGED, c.WORKER_DEPARTED]
    )


@pytest.fixture
def subscriber(agencies, bpjs, agencies_service, tmp_path):  # noqa: F811
    running = RunningSubscriber(agencies.uri(bpjs), bpjs.queue, tmp_path)
    yield running
    running.stop()


def register(container) -> dict:
    with entrypoint_hook(container, "register_worker") as hook:
        return hook(worker_payload())


def outbox_envelopes(database_url: str, worker_id: str) -> list[dict]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = (
            conn.execute(
                text("SELECT envelope FROM outbox WHERE worker_id = :w ORDER BY id"),
                {"w": worker_id},
            )
            .scalars()
            .all()
        )
    engine.dispose()
    return [row if isinstance(row, dict) else json.loads(row) for row in rows]


def into_queue(amqp_uri: str, queue: str, body: dict) -> None:
    """Put an event into an agency's queue as the platform's agencies service does."""
    with Connection(amqp_uri) as connection:
        connection.Producer().publish(
            json.dumps(body),
            exchange="",
            routing_key=queue,
            content_type="application/json",
            delivery_mode=2,
        )


def applied_ids(lines: list[dict]) -> list[str]:
    return [line["event_id"] for line in lines if line["outcome"] == "applied"]


def test_the_subscriber_applies_each_event_once_even_when_the_broker_delivers_it_twice(
    registration, subscriber, bpjs, database_urls, rabbit_config
):
    worker = register(registration)
    published = wait_for(
        lambda: (
            len(outbox_envelopes(database_urls["registration"], worker["id"])) == 2
            and outbox_envelopes(database_urls["registration"], worker["id"])
        ),
        message="the registration's events",
    )
    expected = [event["event_id"] for event in published]
    subscriber.wait_until(
        lambda lines: set(expected) <= set(applied_ids(lines)), "both events applied"
    )

    # delivered again, as the agency received it: the published form of the registration (its
    # own version of the contract, not the platform's internal one)
    again = disclose(
        published[0],
        bpjs.agreement,
        now=dt.datetime.now(dt.UTC),
        pseudonym_key="a-test-pseudonym-key-of-enough-length",
        placement_agency_of=lambda _: None,
    )
    assert again is not None and again["event_id"] == expected[0]
    into_queue(rabbit_config["AMQP_URI"], bpjs.queue, again)

    lines = subscriber.wait_until(
        lambda lines: any(line["outcome"] == "duplicate" for line in lines), "the repeat dropped"
    )
    assert applied_ids(lines) == expected
    assert [line["event_id"] for line in subscriber.outcomes("duplicate")] == [expected[0]]
    assert [line["sequence"] for line in subscriber.outcomes("applied")] == [1, 2]


def test_an_unknown_event_version_is_parked_for_the_agency_without_stopping_the_subscriber(
    registration, subscriber, bpjs, rabbit_config
):
    newer = envelope(
        c.WORKER_DEPARTED,
        "w-9",
        {
            "departed_on": "2026-04-01",
            "destination_country": "HK",
            "employer": "Chan Tai Man",
            "cycle": 1,
        },
        event_version=2,
    )
    newer["data"]["employer"] = {"name": "Chan Tai Man", "licence": "HK-EA-1234"}  # a new shape
    into_queue(rabbit_config["AMQP_URI"], bpjs.queue, newer)  # as a later release would
    subscriber.wait_until(
        lambda lines: any(line["outcome"] == "parked" for line in lines), "the newer version parked"
    )
    assert subscriber.outcomes("parked")[0]["event_id"] == newer["event_id"]
    wait_for(
        lambda: queue_depth(rabbit_config["AMQP_URI"], bpjs.parked_queue) == 1,
        message="the event in the agency's parked queue",
    )

    worker = register(registration)  # the subscriber goes on with what it knows
    subscriber.wait_until(
        lambda lines: any(
            line.get("worker_id") == worker["id"] and line["outcome"] == "applied" for line in lines
        ),
        "the next event applied",
    )


def test_the_subscriber_reconnects_when_the_broker_drops_its_connection(
    registration, subscriber, bpjs, agencies
):  # noqa: F811
    subscriber.wait_until(
        lambda lines: any(line["outcome"] == "ready" for line in lines), "the subscriber consuming"
    )
    connections = wait_for(
        lambda: [
            conn
            for conn in agencies.management.connections(agencies.registry.vhost)
            if conn.get("user") == bpjs.user
        ],
        message="its connection",
    )
    for connection in connections:
        agencies.management.close_connection(connection["name"])

    subscriber.wait_until(
        lambda lines: sum(line["outcome"] == "ready" for line in lines) >= 2,
        "the subscriber consuming again",
    )
    worker = register(registration)
    subscriber.wait_until(
        lambda lines: (
            sum(
                line.get("worker_id") == worker["id"] and line["outcome"] == "applied"
                for line in lines
            )
            == 2
        ),
        "events after reconnecting",
    )
    assert subscriber.stop() == 0


@pytest.mark.parametrize("queue_format", ["cloudevents-binary", "cloudevents-structured"])
def test_the_subscriber_applies_the_cloud_events_form_as_it_applies_the_platforms(
    queue_format,
    registration,
    bpjs,
    agencies,
    agencies_service,
    tmp_path,  # noqa: F811
    database_urls,
):
    from services.agencies.settings import SettingsRepository

    engine = create_engine(database_urls["agencies"])
    SettingsRepository(engine).put(
        bpjs.name, "ops", dt.datetime.now(dt.UTC), queue_format=queue_format
    )
    engine.dispose()
    running = RunningSubscriber(agencies.uri(bpjs), bpjs.queue, tmp_path)
    try:
        worker = register(registration)
        published = wait_for(
            lambda: (
                len(outbox_envelopes(database_urls["registration"], worker["id"])) == 2
                and outbox_envelopes(database_urls["registration"], worker["id"])
            ),
            message="the registration's events",
        )
        lines = running.wait_until(
            lambda lines: len(applied_ids(lines)) == 2, "both events applied"
        )
    finally:
        running.stop()
    assert applied_ids(lines) == [event["event_id"] for event in published]
    state = sqlite3.connect(tmp_path / "agency.sqlite")
    kept = state.execute(
        "SELECT event_type, worker_id, source, sequence, event_version "
        "FROM worker_events ORDER BY sequence"
    ).fetchall()
    status = state.execute(
        "SELECT status FROM worker_status WHERE worker_id = ?", (worker["id"],)
    ).fetchone()
    state.close()
    assert kept == [
        (event["event_type"], worker["id"], c.REGISTRATION, event["sequence"], 1)
        for event in published
    ]
    assert status == ("registered",)
