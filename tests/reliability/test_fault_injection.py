"""A small batch of workers through the whole lifecycle while every service is SIGKILLed in turn
and RabbitMQ and PostgreSQL restart: nothing lost, nothing applied twice.

Journeys keep starting until every kind of fault has happened, so each lands on journeys under
way however long the platform takes to recover: a handful, each kind of fault once, in ``make
test``; more, the faults in turn until the last journey ends, in ``make reliability``
(``RELIABILITY_SCALE=large``), which also runs its own 2,000-worker batch
(``tests/reliability/run.py``)."""

import pytest

from tests import servers
from tests.reliability.faults import FAULTS, run
from tests.scale import sized

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

WORKERS = sized(small=len(FAULTS), large=12)  # at least
MORE_WORKERS = 100  # at most, while faults remain
CONCURRENCY = sized(small=4, large=12)  # journeys at once
FAULT_INTERVAL = sized(small=2.0, large=4.0)  # seconds at least between faults
# each kind once proves the property; in turn until the last journey ends finds rarer interleavings
FAULT_ROUNDS = sized(small=1, large=None)


@pytest.fixture
def servers_to_break():
    """A broker and a database of this test's own: it restarts them under the other tests' feet
    otherwise."""
    with servers.private_servers() as running:
        yield running


@pytest.mark.timeout(900)
def test_no_event_is_lost_or_applied_twice_under_crashes_and_restarts(tmp_path, servers_to_break):
    report = run(
        servers_to_break,
        workers=WORKERS,
        fault_interval=FAULT_INTERVAL,
        concurrency=CONCURRENCY,
        log_dir=tmp_path,
        more_while_observing=MORE_WORKERS,
        fault_rounds=FAULT_ROUNDS,
    )
    print("\n".join(report.lines()))
    findings = report.findings

    assert {name for name, _ in report.faults} == set(FAULTS)
    assert all(report.under_way_at_faults[: len(FAULTS)]), report.under_way_at_faults
    assert report.journey_failures == []
    assert report.workers >= WORKERS
    assert dict(findings.final_statuses) == {"reintegrated": report.workers}
    assert findings.lost == 0
    assert findings.duplicated_effects == []
    assert findings.events_received == findings.events_recorded
    assert sum(findings.dead_letters.values()) == 0
