"""The runner's process ends when its service's container dies, so that the supervisor (or
Kubernetes) starts it again: nameko kills a container on an error outside a worker's method (a
reply that cannot be published while the broker restarts), and a process that lived on would
consume nothing until someone noticed."""

import gc

import eventlet
import pytest
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc
from nameko.runners import ServiceRunner

from pmi_common.runner import serve


class FailsAfterStart(DependencyProvider):
    """A thread of the container's own that fails, as nameko's reply publisher does when the
    broker is gone."""

    def start(self):
        self.container.spawn_managed_thread(self._fail)

    @staticmethod
    def _fail():
        eventlet.sleep(0.2)
        raise ConnectionError("the broker went away")


class Failing:
    name = "failing"
    failure = FailsAfterStart()

    @rpc
    def ping(self):
        return "pong"


class Healthy:
    name = "healthy"

    @rpc
    def ping(self):
        return "pong"


def test_the_process_ends_with_status_1_when_its_container_dies(rabbit_config):
    runner = ServiceRunner(rabbit_config)
    runner.add_service(Failing)
    stopping = eventlet.event.Event()

    with eventlet.Timeout(60), pytest.raises(SystemExit) as ended:
        serve(runner, stopping, "failing")

    assert ended.value.code == 1


def test_a_stop_request_stops_the_service_and_returns(rabbit_config):
    runner = ServiceRunner(rabbit_config)
    runner.add_service(Healthy)
    stopping = eventlet.event.Event()
    eventlet.spawn_after(0.5, stopping.send, True)

    try:
        with eventlet.Timeout(60):
            serve(runner, stopping, "healthy")
        # what the process held once started is out of the garbage collector's way
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()

    assert all(container._died.ready() for container in runner.containers)
