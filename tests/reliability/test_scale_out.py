"""Two competing instances of every service (and two gateways) on the same queues: workers
through the whole lifecycle, each effect once and in per-worker order.

``make test`` runs a handful of workers, all at once so the two instances compete for each
worker's events; ``make reliability`` (``RELIABILITY_SCALE=large``) runs 80."""

import time

import eventlet
import pytest

from pmi_common.topology import consuming_services, inbox_queue
from tests.reliability.faults import run
from tests.scale import sized

pytestmark = pytest.mark.e2e

WORKERS = sized(small=10, large=80)
CONCURRENCY = sized(small=10, large=24)
STATUS_PATH = [
    "registered",
    "documents_verified",
    "orientation_completed",
    "cleared_for_departure",
    "departed",
    "returned",
    "in_reintegration",
    "reintegrated",
]


def consumers_per_inbox(platform, report, timeout: float = 60) -> dict[str, int]:
    """Consumers of each inbox, as the management API sees them (its statistics lag a little)."""
    deadline = time.monotonic() + timeout
    while True:
        seen = {
            queue: platform.management("GET", f"/queues/{platform.vhost}/{queue}")
            .json()
            .get("consumers", 0)
            for queue in map(inbox_queue, consuming_services())
        }
        if set(seen.values()) == {2} or time.monotonic() > deadline:
            return seen
        eventlet.sleep(0.5)


@pytest.mark.timeout(1200)
def test_two_instances_of_every_service_keep_each_worker_whole_and_in_order(
    tmp_path, private_servers
):
    report = run(
        private_servers,
        workers=WORKERS,
        fault_interval=None,
        concurrency=CONCURRENCY,
        log_dir=tmp_path,
        instances=2,
        observe=consumers_per_inbox,
    )
    print("\n".join(report.lines()))
    findings = report.findings

    assert set(report.observed.values()) == {2}, report.observed
    assert report.journey_failures == []
    assert dict(findings.final_statuses) == {"reintegrated": WORKERS}
    assert findings.lost == 0 and findings.duplicated_effects == []
    assert findings.events_received == findings.events_recorded
    assert all(order == STATUS_PATH for order in report.status_orders.values())
    assert len(report.status_orders) == WORKERS
