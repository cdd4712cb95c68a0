"""An event whose handler needs another service that does not answer is retried for as long as that
lasts and never dead-lettered for it: the event is sound, and a dead letter would wait for an
operator to replay what the platform finishes on its own once the service is back.

Notifications asks registration for a worker's contacts before it keeps her messages. Here
registration is gone (its container killed and its RPC queue deleted, so a call is refused at
once as "not running", as while a broker node fails over), and the worker's registration waits
in notifications' retry queue through more attempts than the retry delays, then is applied once
registration is back."""

from __future__ import annotations

from urllib.parse import quote

from nameko.testing.services import entrypoint_hook
from prometheus_client import REGISTRY

from pmi_common import contract as c
from pmi_common.topology import dead_letter_queue, inbox_queue
from services.notifications.service import NotificationsService
from services.registration.service import RegistrationService
from tests import servers
from tests.conftest import FAST_RETRIES
from tests.helpers import queue_depth, wait_for, worker_payload


def retried(service: str, event_type: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "pmi_events_handled_total",
            {"service": service, "event_type": event_type, "outcome": "retried"},
        )
        or 0.0
    )


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def test_an_event_waits_out_a_service_that_does_not_answer_and_is_applied_once_it_is_back(
    container_factory, config_for, rabbit_config
):
    uri = rabbit_config["AMQP_URI"]
    registration = container_factory(RegistrationService, config_for("registration"))
    registration.start()
    worker = call(registration, "register_worker", worker_payload())
    # what registration published of her (its outbox relays it after the commit) waits in
    # notifications' inbox
    wait_for(
        lambda: queue_depth(uri, inbox_queue(c.NOTIFICATIONS)) >= 1,
        message="the registration in notifications' inbox",
    )
    registration.kill()
    servers.current().broker.management(
        "DELETE", f"/queues/{quote(rabbit_config['vhost'], safe='')}/rpc-registration"
    )

    before = retried(c.NOTIFICATIONS, c.WORKER_REGISTERED)
    notifications = container_factory(
        NotificationsService, config_for("notifications", PMI_ENV="development")
    )
    notifications.start()
    # more attempts than there are retry delays: each would have been the last
    wait_for(
        lambda: retried(c.NOTIFICATIONS, c.WORKER_REGISTERED) - before > len(FAST_RETRIES) + 1,
        message="the registration retried past the retry delays",
    )
    assert queue_depth(uri, dead_letter_queue(c.NOTIFICATIONS)) == 0
    assert call(notifications, "messages_of", worker["id"])["items"] == []

    container_factory(RegistrationService, config_for("registration")).start()
    (kept,) = wait_for(
        lambda: call(notifications, "messages_of", worker["id"])["items"],
        message="the registration's message kept once registration answers",
    )
    assert kept["kind"] == "registered"
    assert queue_depth(uri, dead_letter_queue(c.NOTIFICATIONS)) == 0
