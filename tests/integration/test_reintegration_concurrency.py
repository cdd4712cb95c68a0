"""Seats and round places hold when many requests arrive at once, at two running instances."""

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from pmi_common.errors import CapacityReached
from services.reintegration.service import ReintegrationService
from tests.integration.test_reintegration_service import (
    Registration,
    call,
    known_workers,
    program_payload,
)


@pytest.fixture
def two_instances(container_factory, config_for):
    containers = []
    for _ in range(2):
        container = container_factory(ReintegrationService, config_for("reintegration"))
        container.start()
        containers.append(container)
    return containers


def count_rows(url: str, query: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(query)).scalar_one()
    finally:
        engine.dispose()


def race(config, method: str, program_id: str, payloads: list[dict]) -> tuple[list, list]:
    """Send every call before waiting for any answer; the answers and the errors."""
    answers, errors = [], []
    with ClusterRpcProxy(config) as cluster:
        pending = [
            getattr(cluster.reintegration, method).call_async(program_id, payload)
            for payload in payloads
        ]
        for reply in pending:
            try:
                answers.append(reply.result())
            except CapacityReached as exc:
                errors.append(exc)
    return answers, errors


def test_concurrent_enrolments_never_take_more_seats_than_the_programme_has(
    two_instances, config_for, rabbit_config, database_urls
):
    first = two_instances[0]
    program = call(
        first,
        "create_program",
        program_payload(capacity=5, rounds=[{"name": "pitch", "advance": 1}]),
    )
    workers = known_workers(first, Registration(rabbit_config["AMQP_URI"]), 16)

    enrolled, refused = race(
        config_for("reintegration"),
        "enrol_participant",
        program["id"],
        [{"worker_id": worker_id} for worker_id in workers],
    )

    assert (len(enrolled), len(refused)) == (5, 11)
    assert count_rows(database_urls["reintegration"], "SELECT count(*) FROM participants") == 5
    assert call(first, "get_program", program["id"])["enrolled"] == 5


def test_concurrent_round_results_never_advance_more_than_the_round_allows(
    two_instances, config_for, rabbit_config, database_urls
):
    first = two_instances[0]
    program = call(
        first,
        "create_program",
        program_payload(
            capacity=12,
            rounds=[
                {"name": "business model canvas", "advance": 4},
                {"name": "pitch", "advance": 1},
            ],
        ),
    )
    workers = known_workers(first, Registration(rabbit_config["AMQP_URI"]), 12)
    for worker_id in workers:
        call(first, "enrol_participant", program["id"], {"worker_id": worker_id})

    advanced, refused = race(
        config_for("reintegration"),
        "record_round_result",
        program["id"],
        [{"worker_id": w, "round": 1, "advanced": True} for w in workers],
    )

    assert (len(advanced), len(refused)) == (4, 8)
    assert (
        count_rows(
            database_urls["reintegration"], "SELECT count(*) FROM round_results WHERE advanced"
        )
        == 4
    )
