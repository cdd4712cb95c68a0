"""A small batch of workers through the whole lifecycle while every service is SIGKILLed in turn
and RabbitMQ and PostgreSQL restart: nothing lost, nothing applied twice."""

import pytest

from tests import servers
from tests.reliability.faults import FAULTS, run

pytestmark = [pytest.mark.e2e, pytest.mark.faults]


@pytest.fixture
def servers_to_break():
    """A broker and a database of this test's own: it restarts them under the other tests' feet
    otherwise."""
    with servers.private_servers() as running:
        yield running


@pytest.mark.timeout(900)
def test_no_event_is_lost_or_applied_twice_under_crashes_and_restarts(tmp_path, servers_to_break):
    report = run(servers_to_break, workers=12, fault_interval=4.0, concurrency=12, log_dir=tmp_path)
    print("\n".join(report.lines()))
    findings = report.findings

    assert {name for name, _ in report.faults} == set(FAULTS)
    assert report.journey_failures == []
    assert dict(findings.final_statuses) == {"reintegrated": 12}
    assert findings.lost == 0
    assert findings.duplicated_effects == []
    assert findings.events_received == findings.events_recorded
    assert sum(findings.dead_letters.values()) == 0
