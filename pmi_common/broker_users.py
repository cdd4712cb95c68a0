"""One broker user per platform process, and which user may publish which service's events.

With ``BROKER_USERS`` set (``service=user`` pairs, e.g. ``registration=pmi-registration,...``),
each service connects as its own user, whose permissions (``permissions_for``) let it publish
only to its own ``<service>.events`` exchange (and to its own queues through the default
exchange: retries and dead letters), read only its own queues and bind them only to the
exchanges of the events it handles. Every message the platform publishes carries the AMQP
``user_id`` property, which RabbitMQ checks against the connection's user, so a publisher cannot
lie about it; a consumer dead-letters an event whose ``source`` is not the service that user
belongs to (``publisher_problem``).

Without ``BROKER_USERS`` (development: every process as one user), nothing is mapped and no
event is refused for its publisher. ``pmi broker setup`` (``pmi_tools.broker_setup``) creates
the users and declares the whole topology as the administrator, since a service's user may
declare only its own part.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from .contract import AGENCIES, SERVICES, exchange_name, handled_by

GATEWAY = "gateway"
PROCESSES = (*SERVICES, GATEWAY, AGENCIES)
PUBLISHED_BY = "x-published-by"  # the first publisher's user, kept on a retried message


def default_user(process: str) -> str:
    return f"pmi-{process}"


def parse_users(text: str | None) -> dict[str, str]:
    """``BROKER_USERS`` -> {service: user}; empty when unset. A clear ``ValueError`` otherwise."""
    users: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in (text or "").split(","))):
        process, _, user = pair.partition("=")
        if process.strip() not in PROCESSES or not user.strip():
            raise ValueError(
                f"BROKER_USERS takes service=user pairs for {', '.join(PROCESSES)}, not {pair!r}"
            )
        users[process.strip()] = user.strip()
    return users


def connection_user(amqp_uri: str) -> str:
    return unquote(urlsplit(amqp_uri).username or "guest")


def permissions_for(process: str) -> dict[str, str]:
    """The configure, write and read patterns of ``process``'s own user."""
    own = re.escape(process)
    queues = [rf"{own}\.(inbox|retry|dead-letter)", rf"rpc-{own}", rf"rpc\.reply-{own}-.+"]
    events = [re.escape(exchange_name(process))] if process in SERVICES else []
    # the agencies service reads every service's events (and publishes to agencies' queues through
    # the default exchange, which needs write on amq.default only)
    sources = (
        sorted({re.escape(exchange_name(spec.source)) for spec in handled_by(process)})
        if process in (*SERVICES, AGENCIES)
        else []
    )
    rpc = ["nameko-rpc"]  # nameko declares it, sends requests and replies through it

    def pattern(names: list[str]) -> str:
        return f"^({'|'.join(names)})$"

    return {
        "configure": pattern(events + queues + rpc),
        "write": pattern(events + queues + rpc + [r"amq\.default"]),
        "read": pattern(queues + rpc + sources),
    }


def publisher_problem(
    event_source: str,
    user_id: str | None,
    published_by: str | None,
    own_user: str,
    users: Mapping[str, str],
) -> str | None:
    """Why an event must not be applied for who published it; None when it may. ``users`` maps
    services to their broker users (empty: development, nothing checked)."""
    if not users:
        return None
    publisher = published_by if user_id == own_user and published_by else user_id
    expected = users.get(event_source)
    if publisher is None:
        return f"an event from {event_source} arrived without the AMQP user_id of its publisher"
    if publisher != expected:
        return (
            f"an event from {event_source} was published by the broker user {publisher}, "
            f"not {event_source}'s ({expected}): refused as forged"
        )
    return None
