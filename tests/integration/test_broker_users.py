"""One broker user per service: each publishes only to its own exchange, every message carries
the AMQP user_id RabbitMQ checks, and a consumer refuses an event whose source is not the service
of the user that published it. The users are created through the management API on the test's
virtual host, as ``pmi broker setup`` creates them."""

from __future__ import annotations

import json
import secrets
import uuid
from urllib.parse import quote, urlsplit, urlunsplit

import amqp
import pytest
from kombu import Connection
from nameko.testing.services import entrypoint_hook

from pmi_common import contract as c
from pmi_common.broker_users import PUBLISHED_BY
from pmi_common.management import Management
from pmi_common.topology import dead_letter_queue, declare_topology
from pmi_tools.broker_setup import provision
from services.registration.service import RegistrationService
from tests.events import envelope
from tests.helpers import queue_depth, wait_for, worker_payload

# what a service may declare with its own user is tested on a vhost nothing was declared in
pytestmark = pytest.mark.empty_vhost

PROCESSES = ("registration", "documents", "orientation")


class BrokerUsers:
    def __init__(self, admin_uri: str, users: dict[str, tuple[str, str]]):
        self.admin_uri = admin_uri
        self.users = users

    def user(self, process: str) -> str:
        return self.users[process][0]

    def uri(self, process: str) -> str:
        user, password = self.users[process]
        parts = urlsplit(self.admin_uri)
        netloc = f"{quote(user, safe='')}:{password}@{parts.hostname}:{parts.port or 5672}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    @property
    def mapping(self) -> str:
        return ",".join(f"{process}={user}" for process, (user, _) in self.users.items())


@pytest.fixture
def broker_users(request, rabbit_config):
    management = Management(request.config.getoption("RABBIT_API_URI"))
    suffix = uuid.uuid4().hex[:6]
    users = {process: (f"pmi-{process}-{suffix}", secrets.token_hex(16)) for process in PROCESSES}
    provision(management, rabbit_config["vhost"], users)
    declare_topology(rabbit_config["AMQP_URI"])  # as the administrator: the whole topology
    yield BrokerUsers(rabbit_config["AMQP_URI"], users)
    for user, _ in users.values():
        management.delete_user(user)


@pytest.fixture
def registration(container_factory, config_for, broker_users):
    container = container_factory(
        RegistrationService,
        config_for(
            "registration",
            AMQP_URI=broker_users.uri("registration"),
            BROKER_USERS=broker_users.mapping,
        ),
    )
    container.start()
    return container


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def status_of(registration, worker_id: str) -> str:
    return call(registration, "get_worker", worker_id)["status"]


def publish_as(uri: str, body: dict, exchange: str, routing_key: str, user_id: str | None) -> None:
    properties = {"user_id": user_id} if user_id else {}
    with Connection(uri) as connection:
        connection.channel().basic_publish_confirm(
            amqp.Message(
                json.dumps(body), content_type="application/json", delivery_mode=2, **properties
            ),
            exchange=exchange,
            routing_key=routing_key,
            confirm_timeout=10,
        )


def documents_completed(worker_id: str) -> dict:
    return envelope(
        c.DOCUMENTS_COMPLETED,
        worker_id,
        {"document_ids": ["d"], "earliest_expiry": None},
        sequence=10,
    )


def dead_letters(uri: str, queue: str) -> list[amqp.Message]:
    taken = []
    with Connection(uri) as connection:
        channel = connection.channel()
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            taken.append(message)
    return taken


def test_an_event_forged_with_another_services_user_is_never_applied(
    registration, broker_users, rabbit_config
):
    worker_id = call(registration, "register_worker", worker_payload())["id"]
    orientation = broker_users.uri("orientation")
    forged = documents_completed(worker_id)  # says "source": "documents"

    # orientation's user may not publish to documents' exchange at all
    with pytest.raises(amqp.exceptions.AccessRefused):
        publish_as(
            orientation,
            forged,
            c.exchange_name(c.DOCUMENTS),
            c.DOCUMENTS_COMPLETED,
            broker_users.user("orientation"),
        )
    # nor claim to be documents' user: RabbitMQ checks user_id against the connection
    with pytest.raises(amqp.exceptions.PreconditionFailed):
        publish_as(orientation, forged, "", "registration.inbox", broker_users.user("documents"))
    # straight into registration's inbox as itself: the broker takes it, registration refuses it
    publish_as(orientation, forged, "", "registration.inbox", broker_users.user("orientation"))

    admin = rabbit_config["AMQP_URI"]
    wait_for(
        lambda: queue_depth(admin, dead_letter_queue(c.REGISTRATION)) == 1,
        message="the forged event to be dead-lettered",
    )
    [letter] = dead_letters(admin, dead_letter_queue(c.REGISTRATION))
    assert "refused as forged" in letter.headers["x-error"]
    assert broker_users.user("orientation") in letter.headers["x-error"]
    assert json.loads(letter.body)["event_id"] == forged["event_id"]
    assert status_of(registration, worker_id) == "registered"
    history = [e["event_type"] for e in call(registration, "get_timeline", worker_id)]
    assert c.DOCUMENTS_COMPLETED not in history


def test_the_same_event_from_documents_own_user_is_applied(registration, broker_users):
    worker_id = call(registration, "register_worker", worker_payload())["id"]

    publish_as(
        broker_users.uri("documents"),
        documents_completed(worker_id),
        c.exchange_name(c.DOCUMENTS),
        c.DOCUMENTS_COMPLETED,
        broker_users.user("documents"),
    )

    wait_for(
        lambda: status_of(registration, worker_id) == "documents_verified",
        message="documents' own event to be applied",
    )


def test_an_event_without_its_publishers_user_id_is_refused(
    registration, broker_users, rabbit_config
):
    worker_id = call(registration, "register_worker", worker_payload())["id"]
    admin = rabbit_config["AMQP_URI"]

    publish_as(
        admin,
        documents_completed(worker_id),
        c.exchange_name(c.DOCUMENTS),
        c.DOCUMENTS_COMPLETED,
        user_id=None,
    )

    wait_for(
        lambda: queue_depth(admin, dead_letter_queue(c.REGISTRATION)) == 1,
        message="the anonymous event to be dead-lettered",
    )
    [letter] = dead_letters(admin, dead_letter_queue(c.REGISTRATION))
    assert "without the AMQP user_id" in letter.headers["x-error"]
    assert status_of(registration, worker_id) == "registered"


def test_the_relay_publishes_as_the_services_own_user(registration, broker_users, rabbit_config):
    admin = rabbit_config["AMQP_URI"]
    with Connection(admin) as connection:
        channel = connection.channel()
        queue, _, _ = channel.queue_declare(exclusive=True)
        channel.queue_bind(queue, c.exchange_name(c.REGISTRATION), c.WORKER_REGISTERED)
        call(registration, "register_worker", worker_payload())
        message = wait_for(
            lambda: channel.basic_get(queue, no_ack=True),
            message="worker_registered to be published",
        )
    assert message.properties["user_id"] == broker_users.user("registration")


def publish_back(uri: str, body: dict, user_id: str, published_by: str) -> None:
    """As registration's own retry path puts an event back into its inbox."""
    with Connection(uri) as connection:
        connection.channel().basic_publish_confirm(
            amqp.Message(
                json.dumps(body),
                content_type="application/json",
                delivery_mode=2,
                user_id=user_id,
                application_headers={PUBLISHED_BY: published_by},
            ),
            exchange="",
            routing_key="registration.inbox",
            confirm_timeout=10,
        )


def test_a_retried_event_keeps_its_first_publisher_and_only_the_service_itself_can_say_so(
    registration, broker_users, rabbit_config
):
    applied, forged = (
        call(registration, "register_worker", worker_payload())["id"] for _ in range(2)
    )
    # back from registration's retry queue, published as registration: the header is believed
    publish_back(
        broker_users.uri("registration"),
        documents_completed(applied),
        broker_users.user("registration"),
        broker_users.user("documents"),
    )
    wait_for(
        lambda: status_of(registration, applied) == "documents_verified",
        message="the retried event to be applied",
    )
    # the same header from orientation's user is not
    publish_back(
        broker_users.uri("orientation"),
        documents_completed(forged),
        broker_users.user("orientation"),
        broker_users.user("documents"),
    )
    admin = rabbit_config["AMQP_URI"]
    wait_for(
        lambda: queue_depth(admin, dead_letter_queue(c.REGISTRATION)) == 1,
        message="the forged retry to be dead-lettered",
    )
    assert status_of(registration, forged) == "registered"


def test_pmi_broker_setup_creates_the_users_and_a_replayed_event_keeps_its_publisher(
    request, rabbit_config, container_factory, config_for
):
    from pmi_common.dead_letters import DeadLetterQueues, Selection
    from pmi_tools.broker_setup import setup

    admin = rabbit_config["AMQP_URI"]
    suffix = uuid.uuid4().hex[:6]
    names = {process: f"pmi-{process}-{suffix}" for process in PROCESSES}
    env = {
        "BROKER_USERS": ",".join(f"{p}={u}" for p, u in names.items()),
        "AMQP_URI": admin,
        "RABBITMQ_MANAGEMENT_URL": request.config.getoption("RABBIT_API_URI"),
        **{f"BROKER_PASSWORD_{p.upper()}": secrets.token_hex(16) for p in PROCESSES},
    }
    management = Management(env["RABBITMQ_MANAGEMENT_URL"])
    try:
        done = setup(env)
        assert done[-1] == "topology declared"
        users = BrokerUsers(
            admin, {p: (names[p], env[f"BROKER_PASSWORD_{p.upper()}"]) for p in PROCESSES}
        )
        registration = container_factory(
            RegistrationService,
            config_for(
                "registration", AMQP_URI=users.uri("registration"), BROKER_USERS=users.mapping
            ),
        )
        registration.start()
        # documents' event about a worker registration does not know: retried, dead-lettered
        event = documents_completed(str(uuid.uuid4()))
        publish_as(
            users.uri("documents"),
            event,
            c.exchange_name(c.DOCUMENTS),
            c.DOCUMENTS_COMPLETED,
            users.user("documents"),
        )
        letters = DeadLetterQueues(admin)
        wait_for(
            lambda: letters.peek(dead_letter_queue(c.REGISTRATION)),
            message="the event to fail every retry",
        )

        # replayed by the administrator: the user_id RabbitMQ checked is kept, so registration
        # judges it as documents' event again (it fails again for its own reason, not as forged)
        assert [r.event_id for r in letters.replay(c.REGISTRATION, Selection(everything=True))] == [
            event["event_id"]
        ]
        wait_for(
            lambda: any(
                "x-replays" in letter.headers
                for letter in letters.peek(dead_letter_queue(c.REGISTRATION))
            ),
            message="the replayed event to fail again",
        )
        [again] = letters.peek(dead_letter_queue(c.REGISTRATION))
        assert "no worker" in again.error and "forged" not in again.error
    finally:
        for user in names.values():
            management.delete_user(user)
