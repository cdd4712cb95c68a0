"""A cluster's failover list: each process begins at a node of its own (the cluster itself:
tests/reliability/test_broker_cluster.py)."""

import random

from pmi_common.config import from_a_random_node, service_config

NODES = [f"amqp://pmi:secret@rabbit-{n}.pmi.svc:5672/pmi" for n in (1, 2, 3)]


def rotations(uris: list[str]) -> set[str]:
    return {";".join(uris[start:] + uris[:start]) for start in range(len(uris))}


def test_a_process_begins_at_a_node_chosen_at_random_and_fails_over_through_every_node():
    rng = random.Random(20261208)
    lists = [from_a_random_node(";".join(NODES), rng) for _ in range(30)]

    assert set(lists) == rotations(NODES)  # each node begins some lists, the order kept
    assert all(sorted(uris.split(";")) == NODES for uris in lists)


def test_one_broker_is_one_uri_whatever_the_draw():
    assert from_a_random_node(NODES[0], random.Random(1)) == NODES[0]


def test_each_service_process_is_given_the_list_begun_at_a_node_of_its_own(monkeypatch):
    monkeypatch.setenv("AMQP_URI", ";".join(NODES))
    random.seed(7)  # the module's generator, as a process has it

    given = {service_config("registration")["AMQP_URI"] for _ in range(30)}

    assert given == rotations(NODES)
    assert service_config("documents")["AMQP_SSL"] is None
