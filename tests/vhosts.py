"""The tests' RabbitMQ virtual hosts, used again rather than made afresh for every test.

nameko's ``vhost_pipeline`` makes a vhost for each test and deletes it afterwards; every
service's container then declares the platform's topology in it (``pmi_common.topology``: three
quorum queues per consuming service). On the suite's broker that is a third of a second of the
broker's CPU per test, most of it starting and stopping the quorum queues' Raft members, and the
largest single cost of an integration test on a two-core machine.

Here a vhost is made once with the whole topology declared, as ``pmi broker setup`` leaves a
production broker, and after each test is put back as it was made: connections to it closed, the
queues and exchanges the test added deleted, the platform's queues purged. A vhost that cannot be
put back exactly (a binding, a permission or a policy that was not there, a consumer still
attached, a message that keeps arriving) is deleted, as nameko does with every vhost, and the
next test gets another: what one test leaves never reaches the next.

A test of declaring itself (what a service declares on an empty broker, arguments that change)
asks for a vhost as nameko makes it, empty: ``@pytest.mark.empty_vhost``.
"""

from __future__ import annotations

import dataclasses
import random
import string
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote

import eventlet
import requests
from kombu import Connection
from kombu.pools import connections

from pmi_common.topology import all_queues, declare_topology

# How long a test's connections may take to leave once its containers are stopped.
SETTLE_SECONDS = 10.0
# The platform's queues in the order they are purged: a retry queue dead-letters into an inbox,
# an inbox into its dead letters, so each is emptied after what feeds it.
PURGE_ORDER = sorted(
    (spec.name for spec in all_queues()),
    key=lambda name: 0 if name.endswith(".retry") else 1 if name.endswith(".inbox") else 2,
)


@dataclass(frozen=True)
class Shape:
    """What a vhost holds besides messages, as the management API lists it."""

    queues: frozenset[str]
    exchanges: frozenset[str]
    bindings: frozenset[tuple[str, str, str, str]]
    permissions: frozenset[str]
    policies: frozenset[str]


class VhostPool:
    """``with pool.get() as vhost``: a vhost holding the platform's topology and nothing else;
    ``pool.get(empty=True)``: a new, empty one, deleted afterwards."""

    def __init__(self, broker) -> None:
        self.broker = broker
        self.free: list[str] = []
        self.recycling: list = []
        self.declared: Shape | None = None

    @contextmanager
    def get(self, empty: bool = False) -> Iterator[str]:
        if empty:
            vhost = self._make()
            try:
                yield vhost
            finally:
                self._delete(vhost)
            return
        vhost = self.free.pop() if self.free else self._make_declared()
        try:
            yield vhost
        finally:
            # in the background, as nameko deletes its vhosts: a stopped consumer takes up to a
            # second to leave the broker's queues, which the next test need not wait for
            self.recycling = [each for each in self.recycling if not each.dead]
            self.recycling.append(eventlet.spawn(self._recycle, vhost))

    def _recycle(self, vhost: str) -> None:
        reusable = False
        try:
            reusable = self._put_back(vhost)
        finally:
            if reusable:
                self.free.append(vhost)
            else:
                self._delete(vhost)

    def close(self) -> None:
        for recycling in self.recycling:
            recycling.wait()
        while self.free:
            self._delete(self.free.pop())

    def _make(self) -> str:
        vhost = "pmi_test_" + "".join(random.choices(string.ascii_lowercase, k=10))
        self.broker.create_vhost(vhost)
        return vhost

    def _make_declared(self) -> str:
        vhost = self._make()
        declare_topology(self.broker.amqp_uri(vhost))
        shape = self._shape(vhost)
        if self.declared is None:
            self.declared = shape
        assert shape == self.declared, "the topology declared differs from one vhost to the next"
        return vhost

    def _delete(self, vhost: str) -> None:
        _close_pooled_connections(vhost)
        self.broker.delete_vhost(vhost)

    def _put_back(self, vhost: str) -> bool:
        """The vhost as it was made, or False when it cannot be made so."""
        _close_pooled_connections(vhost)
        declared = self.declared
        assert declared is not None
        shape = self._shape(vhost)
        if (
            shape.permissions != declared.permissions
            or shape.policies != declared.policies
            or not declared.queues <= shape.queues
            or not declared.exchanges <= shape.exchanges
        ):
            return False
        name = quote(vhost, safe="")
        queues, exchanges = shape.queues - declared.queues, shape.exchanges - declared.exchanges
        added = [f"/queues/{name}/{quote(queue, safe='')}" for queue in queues]
        added += [f"/exchanges/{name}/{quote(exchange, safe='')}" for exchange in exchanges]
        for path in added:
            try:
                self.broker.management("DELETE", path)
            except requests.HTTPError as refused:
                if refused.response.status_code != 404:  # gone already (auto-delete) is fine
                    return False  # an exclusive queue whose connection is still open
        # what is left: the bindings of what was deleted went with it, and any other binding
        # (one added between the platform's own) keeps the vhost from being used again
        left = dataclasses.replace(
            shape,
            queues=shape.queues - queues,
            exchanges=shape.exchanges - exchanges,
            bindings=frozenset(
                (source, destination, kind, key)
                for source, destination, kind, key in shape.bindings
                if source not in exchanges
                and destination not in (queues if kind == "queue" else exchanges)
            ),
        )
        if left != declared:
            return False
        return self._emptied(vhost)

    def _emptied(self, vhost: str) -> bool:
        """No consumer left on the platform's queues and no message in them."""
        with Connection(self.broker.amqp_uri(vhost), connect_timeout=10) as connection:
            channel = connection.channel()
            deadline = time.monotonic() + SETTLE_SECONDS
            while True:
                depths = {queue: _depth(channel, queue) for queue in PURGE_ORDER}
                if not any(consumers for _, consumers in depths.values()):
                    break
                if time.monotonic() > deadline:
                    return False  # a connection of the test's outlived it
                time.sleep(0.05)
            for queue in PURGE_ORDER:  # only those holding messages: a purge is a Raft command
                if depths[queue][0]:
                    channel.queue_purge(queue)
            # a message on its way between two queues as they were purged lands after them
            return not any(_depth(channel, queue)[0] for queue in PURGE_ORDER)

    def _shape(self, vhost: str) -> Shape:
        """Three requests: the queues (exclusive ones too, which the definitions leave out),
        the vhost's definitions (exchanges, bindings, policies: one request where reading each
        took three and twice the broker's CPU) and the users allowed in it."""
        name = quote(vhost, safe="")

        def listed(path: str):
            return self.broker.management("GET", path).json()

        definitions = listed(f"/definitions/{name}")
        return Shape(
            queues=frozenset(q["name"] for q in listed(f"/queues/{name}?columns=name")),
            exchanges=frozenset(
                e["name"]
                for e in definitions["exchanges"]
                if e["name"] and not e["name"].startswith("amq.")  # RabbitMQ's own
            ),
            bindings=frozenset(
                (b["source"], b["destination"], b["destination_type"], b["routing_key"])
                for b in definitions["bindings"]
                if b["source"]  # the default exchange's implicit binding of every queue
            ),
            permissions=frozenset(p["user"] for p in listed(f"/vhosts/{name}/permissions")),
            policies=frozenset(p["name"] for p in definitions["policies"]),
        )


def _depth(channel, queue: str) -> tuple[int, int]:
    """(messages, consumers) of a queue, from the broker itself (the management API's counts
    lag by its statistics interval)."""
    _, messages, consumers = channel.queue_declare(queue, passive=True)
    return messages, consumers


def _close_pooled_connections(vhost: str) -> None:
    """kombu's pooled connections to the vhost (nameko's producers keep theirs), as nameko's
    own pipeline closes them."""
    pools = [
        pool
        for key, pool in list(connections.items())
        if getattr(key, "virtual_host", None) == vhost
    ]
    for pool in pools:
        pool.force_close_all()
