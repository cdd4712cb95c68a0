"""A worker registration has accepted is never refused as unknown at the next desk, even when
registration's events have not reached the other services yet: the desk registers a worker and,
back to back, submits a document, enrols them in orientation and in a reintegration programme.

Registration's relay is held (its outbox is not published at all while the desks work), the
slowest a broker can be; then it is let go, and the late events change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, text

from pmi_common.store import Database
from tests.helpers import queue_depth, wait_for, worker_payload
from tests.integration.test_idempotency_end_to_end import InProcessStack
from tests.scale import sized

# each worker is met at every desk on its own, with no event delivered: a handful proves it
WORKERS = sized(10, 50)


def scalar(url: str, sql: str):
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar()
    engine.dispose()
    return value


@pytest.fixture
def stack(config_for):
    stack = InProcessStack(config_for)
    relay = next(
        d for d in stack.containers["registration"].dependencies if isinstance(d, Database)
    ).relay
    relay.stop()  # registration's events stay in its outbox: nobody has heard of new workers
    yield stack
    stack.close()


def test_a_worker_just_registered_is_known_at_every_desk_back_to_back(stack, rabbit_config):
    operator, verifier = stack.client("operator"), stack.client("verifier")
    trainer = stack.client("trainer")
    starts_at = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(microsecond=0)
    session = trainer.post(
        stack.url("/orientation/sessions"),
        timeout=30,
        json={
            "starts_at": starts_at.isoformat(),
            "location": "LTSA PMI Blitar",
            "capacity": 100,
            "topics": ["safe migration"],
        },
    ).json()
    program = trainer.post(
        stack.url("/reintegration/programs"),
        timeout=30,
        json={
            "name": "PAK CAMAT PMI",
            "audience": "both",
            "capacity": 100,
            "starts_on": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
            "rounds": [{"name": "pitch", "advance": 3}],
        },
    ).json()
    outcomes = {"document": [], "orientation": [], "reintegration": []}

    for _ in range(WORKERS):
        worker = operator.post(stack.url("/workers"), json=worker_payload(), timeout=30).json()
        document = verifier.post(
            stack.url(f"/workers/{worker['id']}/documents"),
            timeout=30,
            json={
                "type": "passport",
                "number": "X1234567",
                "issued_on": "2025-01-05",
                "expires_on": "2035-01-04",
            },
        )
        orientation = trainer.post(
            stack.url(f"/orientation/sessions/{session['id']}/enrollments"),
            timeout=30,
            json={"worker_id": worker["id"]},
        )
        reintegration = trainer.post(
            stack.url(f"/reintegration/programs/{program['id']}/enrollments"),
            timeout=30,
            json={"worker_id": worker["id"]},
        )
        outcomes["document"].append(document.status_code)
        outcomes["orientation"].append(
            (orientation.status_code, orientation.json().get("details", {}).get("reason"))
        )
        outcomes["reintegration"].append(reintegration.status_code)

    registration_outbox = stack.config_for("registration")["DATABASE_URL"]
    assert (
        scalar(registration_outbox, "SELECT count(*) FROM outbox WHERE published_at IS NOT NULL")
        == 0
    )  # none had arrived
    assert outcomes["document"] == [201] * WORKERS
    assert outcomes["reintegration"] == [201] * WORKERS
    # a fresh worker has no verified documents yet: refused for that, never as unknown
    assert {status for status, _ in outcomes["orientation"]} == {409}
    assert all(reason != "unknown_worker" for _, reason in outcomes["orientation"])
    orientation_url = stack.config_for("orientation")["DATABASE_URL"]
    assert scalar(orientation_url, "SELECT count(*) FROM workers WHERE registered") == WORKERS

    # the events arrive late, and change nothing
    stack.containers["registration"].stop()
    stack.restart("registration")
    wait_for(
        lambda: (
            scalar(registration_outbox, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
            == 0
        ),
        timeout=60,
    )
    uri = rabbit_config["AMQP_URI"]
    for service in ("documents", "orientation", "reintegration"):
        wait_for(lambda service=service: queue_depth(uri, f"{service}.inbox") == 0, timeout=60)
        assert queue_depth(uri, f"{service}.dead-letter") == 0
        url = stack.config_for(service)["DATABASE_URL"]
        assert scalar(url, "SELECT count(*) FROM workers") == WORKERS
    documents_url = stack.config_for("documents")["DATABASE_URL"]
    assert scalar(documents_url, "SELECT count(*) FROM documents") == WORKERS
    reintegration_url = stack.config_for("reintegration")["DATABASE_URL"]
    assert scalar(reintegration_url, "SELECT count(*) FROM participants") == WORKERS
    print(f"back to back, {WORKERS} workers with no event delivered: {outcomes}")


def test_an_id_registration_does_not_know_is_still_not_found(stack):
    verifier = stack.client("verifier")
    unknown = "0b5f8a52-8a54-4c0e-9d33-5d1f3c7c1a11"
    response = verifier.post(
        stack.url(f"/workers/{unknown}/documents"),
        timeout=30,
        json={
            "type": "passport",
            "number": "X1234567",
            "issued_on": "2025-01-05",
            "expires_on": "2035-01-04",
        },
    )
    assert response.status_code == 404
