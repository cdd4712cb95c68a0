"""Partner agencies on the broker: the names of an agency's user and queues, the queues'
arguments and its permissions.

An agency ``NAME`` (social security, immigration, a placement company...) reads the durable quorum
queue ``agency.NAME.events``, which only the platform's agencies service fills, as the user
``agency-NAME``; the queue ``agency.NAME.parked`` takes what its subscriber rejects, what failed
delivery too often and, when the agency's queue is full (``AGENCY_QUEUE_MAX_LENGTH`` messages or
``AGENCY_QUEUE_MAX_BYTES``), its oldest events. Onboarding and offboarding are the operators'
command's (``pmi_tools.onboarding``).
"""

from __future__ import annotations

import re

from pmi_common.errors import InvalidInput
from pmi_common.fields import AGENCY_NAME
from pmi_common.topology import HOLDING_DELIVERY_LIMIT

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


def permissions_for(name: str) -> dict[str, str]:
    """configure nothing; write nothing (no publishing, no binding: binding needs write on the
    queue); read (consume) its own two queues only, so no exchange can be bound from either."""
    own = re.escape(agency_queue(name))
    parked = re.escape(parked_queue(name))
    return {"configure": "^$", "write": "^$", "read": f"^({own}|{parked})$"}
