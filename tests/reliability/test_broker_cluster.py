"""The platform on a three-node RabbitMQ cluster, its quorum queues spread over the nodes: a
batch of workers through the whole lifecycle while one node stops and comes back, then another.
Every process is given the three nodes' URIs and moves to a surviving node by itself."""

import time

import eventlet
import pytest

from tests import servers
from tests.reliability.faults import run

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

WORKERS = 24


@pytest.fixture
def cluster():
    with servers.private_servers(broker_nodes=3) as running:
        yield running


def busiest_node(cluster, vhost: str, spare=()):
    """The node holding most of the platform's connections (not one of ``spare``)."""
    held = {node.name: 0 for node in cluster.broker.nodes if node not in spare}
    for connection in cluster.broker.management("GET", "/connections").json():
        if connection.get("vhost") == vhost and connection["node"] in held:
            held[connection["node"]] += 1
    name = max(held, key=held.get)
    return next(node for node in cluster.broker.nodes if node.name == name), held[name]


def stop_one_node_then_another(cluster):
    """While the journeys run: the node holding most of the platform's connections stops and
    comes back, then the busiest of the others. Returns what happened."""

    def observe(platform):
        happened, stopped = [], []
        for _ in range(2):
            eventlet.sleep(6)
            node, connections = busiest_node(cluster, platform.vhost, spare=stopped)
            node.stop_app()
            happened.append(("stopped", node.name, connections, time.monotonic()))
            eventlet.sleep(8)
            node.start_app()
            happened.append(("started", node.name, 0, time.monotonic()))
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
        concurrency=12,
        log_dir=tmp_path,
        observe=stop_one_node_then_another(cluster),
    )
    print("\n".join(report.lines()))
    print("\n".join(" ".join(map(str, step)) for step in report.observed))
    findings = report.findings

    assert [what for what, *_ in report.observed] == ["stopped", "started"] * 2
    assert all(
        connections > 0 for what, _, connections, _ in report.observed if what == "stopped"
    )  # each stop cut the platform's own connections
    assert report.journey_failures == []
    assert dict(findings.final_statuses) == {"reintegrated": WORKERS}
    assert findings.lost == 0
    assert findings.duplicated_effects == []
    assert findings.events_received == findings.events_recorded
    assert sum(findings.dead_letters.values()) == 0
