"""A reply the broker will not take (the caller's reply queue went with a broker node that
stopped) costs the caller its answer, never the service: nameko alone would kill the container."""

import pytest
from kombu.exceptions import OperationalError
from nameko.rpc import Responder
from nameko.standalone.rpc import ServiceRpcProxy

from pmi_common.rpc import rpc


class Echo:
    name = "echo"

    @rpc
    def echo(self, value):
        return value


@pytest.fixture
def refuse_first_reply(monkeypatch):
    """The broker nacks the first reply published, as it does when the reply queue's node is
    gone; later replies go through."""
    send = Responder.send_response
    refused = []

    def send_response(self, result, exc_info):
        if not refused:
            refused.append(result)
            raise OperationalError("the broker nacked the reply")
        return send(self, result, exc_info)

    monkeypatch.setattr(Responder, "send_response", send_response)
    return refused


def test_a_reply_that_cannot_be_delivered_leaves_the_service_serving(
    container_factory, rabbit_config, refuse_first_reply
):
    container = container_factory(Echo, dict(rabbit_config))
    container.start()

    # the first reply is refused for certain: this caller's short wait only ends the test sooner
    with ServiceRpcProxy("echo", rabbit_config, timeout=2) as echo:
        with pytest.raises(Exception):  # noqa: B017 - the lost answer: the caller's timeout
            echo.echo("lost")
    with ServiceRpcProxy("echo", rabbit_config, timeout=60) as echo:
        answer = echo.echo("second")

    assert refuse_first_reply == ["lost"]
    assert answer == "second"
    assert container._died.ready() is False
