"""Partner agencies on the broker: the names of an agency's user and queues, the queues'
arguments, its permissions, and the event types and dates an operator or an agency asks for.

An agency ``NAME`` (social security, immigration, a placement company...) reads the durable quorum
queue ``agency.NAME.events``, which only the platform's agencies service fills, as the user
``agency-NAME``; the queue ``agency.NAME.parked`` takes what its subscriber rejects, what failed
delivery too often and, when the agency's queue is full (``AGENCY_QUEUE_MAX_LENGTH`` messages or
``AGENCY_QUEUE_MAX_BYTES``), its oldest events. Onboarding and offboarding are the operators'
command's (``pmi_tools.onboarding``).
"""

from __future__ import annotations

import datetime as dt
import re

from .contract import UnknownEvent as _UnknownEvent
from .contract import spec_for
from .errors import InvalidInput
from .fields import AGENCY_NAME
from .topology import HOLDING_DELIVERY_LIMIT

AGENCY_DELIVERY_LIMIT = 20  # a message that keeps failing the subscriber is parked, not looped
# An agency's queue holds at most this much; past it, the oldest events move to its parked queue
# (the alert AgencyQueueFilling fires at 80%). The parked queue holds at most as many bytes.
AGENCY_QUEUE_MAX_LENGTH = 1_000_000
AGENCY_QUEUE_MAX_BYTES = 1024**3


def agency_user(name: str) -> str:
    return f"agency-{name}"


def agency_queue(name: str) -> str:
    return f"agency.{name}.events"


def parked_queue(name: str) -> str:
    return f"agency.{name}.parked"


def queue_arguments(name: str) -> dict:
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": AGENCY_DELIVERY_LIMIT,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": parked_queue(name),
        "x-max-length": AGENCY_QUEUE_MAX_LENGTH,
        "x-max-length-bytes": AGENCY_QUEUE_MAX_BYTES,
        # a full queue parks its oldest events: refusing new ones (reject-publish, which
        # at-least-once dead-lettering needs) would make the broker refuse the platform's own
        # publishes to every other queue, so one agency that stops reading would stall them all
        "x-overflow": "drop-head",
        "x-dead-letter-strategy": "at-most-once",
    }


def parked_arguments() -> dict:
    return {
        "x-queue-type": "quorum",
        # kept for the agency and the operators, however often they are read
        "x-delivery-limit": HOLDING_DELIVERY_LIMIT,
        "x-max-length-bytes": AGENCY_QUEUE_MAX_BYTES,
        "x-overflow": "drop-head",
    }


def check_name(name: str) -> str:
    if not isinstance(name, str) or not AGENCY_NAME.matches(name):
        raise InvalidInput(
            "invalid agency name",
            {
                "name": [
                    "use 1 to 40 lowercase letters, digits or '-', starting with a letter or digit"
                ]
            },
        )
    return name


def event_types_of(
    value: str | list[str] | tuple[str, ...], field_name: str = "events"
) -> tuple[str, ...]:
    """Event types from ``a,b,c`` or a list; each must be in the contract (``InvalidInput``
    naming ``field_name`` otherwise)."""
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [name.strip() for name in names if name and name.strip()]
    if not names:
        raise InvalidInput("no event types", {field_name: ["name at least one event type"]})
    unknown = []
    for name in names:
        try:
            spec_for(name)
        except _UnknownEvent:
            unknown.append(name)
    if unknown:
        raise InvalidInput(
            "unknown event types", {field_name: [f"not in the contract: {', '.join(unknown)}"]}
        )
    return tuple(dict.fromkeys(names))


def permissions_for(name: str) -> dict[str, str]:
    """configure nothing; write nothing (no publishing, no binding: binding needs write on the
    queue); read (consume) its own two queues only, so no exchange can be bound from either."""
    own = re.escape(agency_queue(name))
    parked = re.escape(parked_queue(name))
    return {"configure": "^$", "write": "^$", "read": f"^({own}|{parked})$"}


def parse_moment(value: str, field_name: str) -> dt.datetime:
    """An ISO date (midnight UTC) or date-time (UTC when it names no zone)."""
    try:
        if isinstance(value, str) and len(value) == 10:
            moment = dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
        else:
            moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            "invalid date",
            {
                field_name: [
                    "an ISO 8601 date (2026-03-01) or date-time (2026-03-01T08:00:00+07:00)"
                ]
            },
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def parse_since(value: str) -> dt.datetime:
    return parse_moment(value, "since")
