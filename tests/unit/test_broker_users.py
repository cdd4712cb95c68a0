"""Which broker user may do what, and which publisher a consumer believes."""

import re

import pytest

from pmi_common.broker_users import parse_users, permissions_for, publisher_problem
from pmi_tools.broker_setup import passwords_from

USERS = {
    "registration": "pmi-registration",
    "documents": "pmi-documents",
    "orientation": "pmi-orientation",
}


def allows(pattern: str, name: str) -> bool:
    return re.fullmatch(pattern, name) is not None


def test_a_service_publishes_only_to_its_own_exchange_and_reads_only_its_own_queues():
    documents = permissions_for("documents")
    assert allows(documents["write"], "documents.events")
    assert not allows(documents["write"], "registration.events")
    assert not allows(documents["configure"], "registration.events")
    assert allows(documents["read"], "documents.inbox")
    assert not allows(documents["read"], "registration.inbox")
    assert not allows(documents["read"], "agency.bpjs.events")
    assert allows(documents["read"], "registration.events")  # to bind its inbox there
    assert not allows(documents["read"], "orientation.events")  # it handles none of those
    assert allows(documents["configure"], "rpc.reply-documents-1f2e")
    assert not allows(documents["configure"], "rpc.reply-gateway-1f2e")
    gateway = permissions_for("gateway")
    assert not any(
        allows(gateway["write"], f"{s}.events")
        for s in ("registration", "documents", "orientation", "reintegration")
    )


def test_in_development_no_event_is_refused_for_its_publisher():
    assert publisher_problem("documents", "guest", None, "guest", {}) is None
    assert publisher_problem("documents", None, None, "guest", {}) is None


@pytest.mark.parametrize(
    "user_id, published_by, refused",
    [
        ("pmi-documents", None, None),
        ("pmi-orientation", None, "refused as forged"),
        (None, None, "without the AMQP user_id"),
        # back from registration's own retry queue: the first publisher is in the header
        ("pmi-registration", "pmi-documents", None),
        ("pmi-registration", "pmi-orientation", "refused as forged"),
        # a header is believed only on a message registration itself published
        ("pmi-orientation", "pmi-documents", "refused as forged"),
    ],
)
def test_a_consumer_believes_only_the_user_rabbitmq_checked(user_id, published_by, refused):
    problem = publisher_problem("documents", user_id, published_by, "pmi-registration", USERS)
    assert (problem is None) if refused is None else (refused in problem)


def test_broker_users_and_their_passwords_are_configured_clearly():
    assert parse_users("registration=pmi-r, gateway=pmi-g") == {
        "registration": "pmi-r",
        "gateway": "pmi-g",
    }
    with pytest.raises(ValueError, match="service=user"):
        parse_users("billing=pmi-billing")
    with pytest.raises(ValueError, match="BROKER_PASSWORD_GATEWAY"):
        passwords_from(
            {"BROKER_PASSWORD_REGISTRATION": "x" * 32},
            {"registration": "pmi-r", "gateway": "pmi-g"},
        )
