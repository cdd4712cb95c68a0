"""The suite's vhost pool (``tests/vhosts.py``): a vhost is used again only as it was made, and
what a test leaves in it never reaches the next test."""

from urllib.parse import quote

import pytest
from kombu import Connection, Exchange, Queue

from pmi_common.topology import all_queues
from tests.vhosts import VhostPool

PLATFORM_QUEUE = sorted(spec.name for spec in all_queues() if spec.name.endswith(".inbox"))[0]


@pytest.fixture
def pool(private_servers):
    made = VhostPool(private_servers.broker)
    yield made
    made.close()


def _used(pool, leave) -> tuple[str, bool]:
    """A vhost of the pool, ``leave(connection, vhost)`` done in it, put back: the vhost and
    whether it went back to the pool."""
    with pool.get() as vhost, Connection(pool.broker.amqp_uri(vhost)) as connection:
        leave(connection, vhost)
    for recycling in pool.recycling:
        recycling.wait()
    return vhost, vhost in pool.free


def _vhosts(pool) -> set[str]:
    return {each["name"] for each in pool.broker.management("GET", "/vhosts").json()}


def test_queues_exchanges_and_messages_a_test_added_are_gone_when_its_vhost_is_used_again(pool):
    def leave(connection, vhost):
        channel = connection.channel()
        exchange = Exchange("test.own", type="topic", channel=channel)
        exchange.declare()
        Queue("test.own", exchange=exchange, routing_key="k", channel=channel).declare()
        Queue("rpc.reply-test", exclusive=True, exchange=exchange, channel=channel).declare()
        connection.Producer(channel).publish({"left": True}, routing_key=PLATFORM_QUEUE)

    vhost, reused = _used(pool, leave)
    assert reused
    assert pool._shape(vhost) == pool.declared
    with Connection(pool.broker.amqp_uri(vhost)) as connection:
        _, messages, _ = connection.channel().queue_declare(PLATFORM_QUEUE, passive=True)
    assert messages == 0


OTHER_USER = "pmi-test-pool-other"


@pytest.fixture
def other_user(private_servers):
    broker = private_servers.broker
    broker.management("PUT", f"/users/{OTHER_USER}", json={"password": "x", "tags": ""})
    yield OTHER_USER
    broker.management("DELETE", f"/users/{OTHER_USER}")


@pytest.mark.parametrize("what", ["binding", "permission"])
def test_a_vhost_a_test_changed_otherwise_is_deleted_not_used_again(pool, other_user, what):
    def leave(connection, vhost):
        if what == "binding":  # between the platform's own: nothing to delete it with
            channel = connection.channel()
            channel.queue_bind(PLATFORM_QUEUE, "registration.events", routing_key="test.extra")
        else:  # another user let in (as an agency's is)
            pool.broker.management(
                "PUT",
                f"/permissions/{quote(vhost, safe='')}/{OTHER_USER}",
                json={"configure": "", "write": "", "read": ".*"},
            )

    vhost, reused = _used(pool, leave)
    assert not reused
    assert vhost not in _vhosts(pool)
