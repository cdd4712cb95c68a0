"""Rate limits at the gateway, per client address and per subject: a 429 problem with
Retry-After, for the public certificate check, readiness and token-protected writes."""

import pytest

from gateway.testing import start_stack
from tests.helpers import worker_payload

PROBLEM = "application/problem+json"


@pytest.fixture
def api(container_factory, config_for):
    return start_stack(
        container_factory,
        config_for,
        services=("registration", "orientation"),
        RATE_LIMIT_PUBLIC="3/hour",
        RATE_LIMIT_WRITES="2/hour",
        RATE_LIMIT_WRITES_PER_ADDRESS="5/hour",
        FORWARDED_HOPS="1",
    )


# Limits are counted per hour here: a sliding window counter weighs the previous window's count
# by the part of it still inside the slide (and rounds it down), so requests straddling a
# minute's end count as fewer than they were (the limiter's design, not a fault: a public route
# hammered across 10:52:58-10:53:01 got its fourth answer); an hour makes that rare.


def from_address(address: str) -> dict:
    return {"X-Forwarded-For": address}


def assert_limited(response, window: int = 60):
    assert response.status_code == 429
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["type"] == "urn:pmi:problem:too-many-requests"
    assert 0 < int(response.headers["Retry-After"]) <= window


@pytest.mark.parametrize("path", ["/certificates/OPP-2026-0000000000", "/health/ready"])
def test_a_client_hammering_a_public_route_is_stopped_and_others_are_not(api, path):
    client = api.anonymous()
    answers = [client.get(path, headers=from_address("203.0.113.7")) for _ in range(3)]
    assert all(answer.status_code != 429 for answer in answers)

    assert_limited(client.get(path, headers=from_address("203.0.113.7")), window=3600)
    assert client.get(path, headers=from_address("198.51.100.2")).status_code != 429


def test_writes_are_limited_per_subject(api):
    desk = api.as_role("operator", "desk-1")
    assert [
        desk.post("/workers", json=worker_payload(), headers=from_address("10.0.0.1")).status_code
        for _ in range(2)
    ] == [201, 201]

    assert_limited(
        desk.post("/workers", json=worker_payload(), headers=from_address("10.0.0.1")), window=3600
    )
    other = api.as_role("operator", "desk-2")
    assert (
        other.post("/workers", json=worker_payload(), headers=from_address("10.0.0.1")).status_code
        == 201
    )
    assert desk.get("/workers").status_code == 200  # reads are not writes


def test_writes_are_limited_per_client_address_whatever_the_subjects(api):
    statuses = [
        api.as_role("operator", f"desk-{n}")
        .post("/workers", json=worker_payload(), headers=from_address("192.0.2.9"))
        .status_code
        for n in range(5)
    ]
    assert statuses == [201] * 5

    assert_limited(
        api.as_role("operator", "desk-9").post(
            "/workers", json=worker_payload(), headers=from_address("192.0.2.9")
        ),
        window=3600,
    )
