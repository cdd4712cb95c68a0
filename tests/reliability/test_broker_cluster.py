"""The platform on a three-node RabbitMQ cluster, its quorum queues spread over the nodes: a
batch of workers through the whole lifecycle while one node stops and comes back, then another.
Every process is given the three nodes' URIs, begins at one of them chosen at random and moves
to a surviving node by itself.

Journeys keep starting until both nodes are back, so each stop lands on journeys under way
however long a node takes to stop: one every few seconds in ``make test`` (a handful of
workers), as many as the desks can run at once in ``make reliability``
(``RELIABILITY_SCALE=large``)."""

import time

import eventlet
import pytest

from tests import servers
from tests.helpers import wait_for
from tests.reliability.faults import run, wait_under_way
from tests.scale import sized

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

WORKERS = sized(small=4, large=24)  # at least; more start until both nodes are back
MORE_WORKERS = 200  # at most
CONCURRENCY = sized(small=2, large=12)
STAGGER = sized(small=5, large=0)  # seconds between the journeys' starts (0: as the desks can)
# seconds: journeys run before each stop, and while the node is down
BEFORE_STOP = sized(small=3, large=6)
DOWN = sized(small=4, large=8)


@pytest.fixture
def cluster():
    with servers.private_servers(broker_nodes=3) as running:
        yield running


def connections_by_node(cluster, vhost: str) -> dict[str, int]:
    """How many of the platform's connections each node holds, as the management API lists them."""
    held = {node.name: 0 for node in cluster.broker.nodes}
    for connection in cluster.broker.management("GET", "/connections").json():
        if connection.get("vhost") == vhost and connection["node"] in held:
            held[connection["node"]] += 1
    return held


def busiest_node(cluster, vhost: str, spare=()):
    """The node holding most of the platform's connections (not one of ``spare``)."""
    spared = {node.name for node in spare}
    held = {n: count for n, count in connections_by_node(cluster, vhost).items() if n not in spared}
    name = max(held, key=held.get)
    return next(node for node in cluster.broker.nodes if node.name == name), held[name]


def busiest_node_listed(cluster, vhost: str, spare=()):
    """``busiest_node`` once the management API lists some of the platform's connections: it
    lists them as its statistics come in (every second), and a node chosen before would be
    chosen on no connections at all."""

    def listed():
        node, connections = busiest_node(cluster, vhost, spare)
        return (node, connections) if connections else None

    try:
        return wait_for(listed, message="the platform's connections listed by the management API")
    except AssertionError as exc:  # where they were instead
        held = connections_by_node(cluster, vhost)
        raise AssertionError(f"{exc}; by node: {held}, not {[n.name for n in spare]}") from None


def stop_one_node_then_another(cluster):
    """While the journeys run: the node holding most of the platform's connections stops and
    comes back, then the busiest of the others. Returns what happened: for each stop, the
    platform's connections it cut and the journeys under way as it began."""

    def observe(platform, report):
        happened, stopped = [], []
        for _ in range(2):
            eventlet.sleep(BEFORE_STOP)
            node, connections = busiest_node_listed(cluster, platform.vhost, spare=stopped)
            wait_under_way(report)
            # journeys under way as the stop begins (once it is done they may all have ended: how
            # long a node takes to stop is the machine's, not the platform's)
            under_way = report.journeys_started - report.journeys_finished
            node.stop_app()
            happened.append(("stopped", node.name, connections, under_way, time.monotonic()))
            eventlet.sleep(DOWN)
            node.start_app()
            happened.append(("started", node.name, 0, 0, time.monotonic()))
            stopped.append(node)
        return happened

    return observe


@pytest.mark.timeout(900)
def test_a_broker_node_stopping_loses_nothing_and_applies_nothing_twice(tmp_path, cluster):
    assert len(cluster.broker.management("GET", "/nodes").json()) == 3

    report = run(
        cluster,
        workers=WORKERS,
        fault_interval=None,
        concurrency=CONCURRENCY,
        log_dir=tmp_path,
        observe=stop_one_node_then_another(cluster),
        spread=STAGGER * WORKERS,
        more_while_observing=MORE_WORKERS,
    )
    print("\n".join(report.lines()))
    print("\n".join(" ".join(map(str, step)) for step in report.observed))
    findings = report.findings

    assert [what for what, *_ in report.observed] == ["stopped", "started"] * 2
    stops = [step for step in report.observed if step[0] == "stopped"]
    assert all(connections > 0 for _, _, connections, _, _ in stops)  # each cut the platform's
    assert all(under_way > 0 for _, _, _, under_way, _ in stops)  # each hit journeys under way
    assert report.journey_failures == []
    assert report.workers >= WORKERS
    assert dict(findings.final_statuses) == {"reintegrated": report.workers}
    assert findings.lost == 0
    assert findings.duplicated_effects == []
    assert findings.events_received == findings.events_recorded
    assert sum(findings.dead_letters.values()) == 0
