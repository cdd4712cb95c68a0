"""A service that does not answer in time gives 504 with a retry hint, never a hung request."""

import uuid

import eventlet
import pytest

from gateway.testing import start_stack
from pmi_common.rpc import rpc

NEVER = 3600


class StuckRegistration:
    """A registration service whose every read hangs (a lock, a stuck database)."""

    name = "registration"

    @rpc
    def get_worker(self, worker_id):
        eventlet.sleep(NEVER)

    @rpc
    def get_stats(self):
        eventlet.sleep(NEVER)


@pytest.fixture
def api(container_factory, config_for):
    container_factory(StuckRegistration, config_for("registration")).start()
    return start_stack(container_factory, config_for, services=(), RPC_TIMEOUT=0.3)


def test_a_service_that_never_answers_gives_504_with_retry_after(api):
    response = api.as_role("operator").get(f"/workers/{uuid.uuid4()}", timeout=10)

    assert response.status_code == 504
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "registration service did not answer" in response.json()["detail"]
    assert int(response.headers["Retry-After"]) > 0


def test_stats_wait_for_no_service_that_hangs(api):
    response = api.as_role("trainer").get("/stats", timeout=10)
    assert response.status_code == 504
