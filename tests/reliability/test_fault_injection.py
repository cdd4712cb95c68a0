"""A small batch of workers through the whole lifecycle while every service is SIGKILLed in turn
and RabbitMQ and PostgreSQL restart: nothing lost, nothing applied twice."""

import pytest

from tests.reliability.faults import FAULTS, run

# It restarts the machine's RabbitMQ and PostgreSQL, so plain `pytest` leaves it out (a restart
# under other tests fails them); `make test` runs it on its own after the rest.
pytestmark = [pytest.mark.e2e, pytest.mark.faults]


@pytest.mark.timeout(900)
def test_no_event_is_lost_or_applied_twice_under_crashes_and_restarts(tmp_path):
    report = run(workers=12, fault_interval=4.0, concurrency=12, log_dir=tmp_path)
    print("\n".join(report.lines()))
    findings = report.findings

    assert {name for name, _ in report.faults} == set(FAULTS)
    assert report.journey_failures == []
    assert dict(findings.final_statuses) == {"reintegrated": 12}
    assert findings.lost == 0
    assert findings.duplicated_effects == []
    assert findings.events_received == findings.events_recorded
    assert sum(findings.dead_letters.values()) == 0
