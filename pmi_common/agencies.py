"""Partner agencies' subscriptions: each agency's own user, queue and bindings on the broker.

An agency ``NAME`` (social security, immigration, a placement company...) gets:

- the user ``agency-NAME``, which may read only its own queues, bind its queue only to the
  platform's ``<service>.events`` exchanges, configure nothing and publish nowhere;
- the durable quorum queue ``agency.NAME.events``, bound to the event types it chose;
- the queue ``agency.NAME.parked``, where the broker moves what its subscriber rejects (an
  event version it does not know yet), what failed delivery too often, and, when the agency's
  queue is full (``AGENCY_QUEUE_MAX_LENGTH`` messages or ``AGENCY_QUEUE_MAX_BYTES``), its
  oldest events, so an agency that stops reading never fills the broker.

Onboarding again with other event types changes the bindings to exactly those; offboarding removes
the user and both queues. Backfill asks the publishing services to send their history of chosen
event types straight into the agency's queue, and to nobody else.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

from kombu import Connection, Exchange

from .contract import SERVICES, exchange_name, spec_for
from .contract import UnknownEvent as _UnknownEvent
from .errors import InvalidInput, NotFound
from .management import Management, vhost_of

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
AGENCY_DELIVERY_LIMIT = 20  # a message that keeps failing the subscriber is parked, not looped
# An agency's queue holds at most this much; past it, the oldest events move to its parked queue
# (the alert AgencyQueueFilling fires at 80%). The parked queue holds at most as many bytes.
AGENCY_QUEUE_MAX_LENGTH = 1_000_000
AGENCY_QUEUE_MAX_BYTES = 1024 ** 3


def agency_user(name: str) -> str:
    return f"agency-{name}"


def agency_queue(name: str) -> str:
    return f"agency.{name}.events"


def parked_queue(name: str) -> str:
    return f"agency.{name}.parked"


def agency_amqp_uri(amqp_uri: str, name: str, password: str) -> str:
    """The platform's AMQP URI with the agency's own credentials."""
    parts = urlsplit(amqp_uri)
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    netloc = f"{quote(agency_user(name), safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", "", ""))


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
    return {"x-queue-type": "quorum", "x-max-length-bytes": AGENCY_QUEUE_MAX_BYTES,
            "x-overflow": "drop-head"}


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise InvalidInput("invalid agency name", {"name": [
            "use 1 to 40 lowercase letters, digits or '-', starting with a letter or digit"]})
    return name


def event_types_of(value: str | list[str] | tuple[str, ...], field_name: str = "events"
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
        raise InvalidInput("unknown event types", {field_name: [
            f"not in the contract: {', '.join(unknown)}"]})
    return tuple(dict.fromkeys(names))


def permissions_for(name: str) -> dict[str, str]:
    """configure nothing; write (bind) only its queue; read its queues and the exchanges."""
    own = re.escape(agency_queue(name))
    parked = re.escape(parked_queue(name))
    exchanges = "|".join(re.escape(exchange_name(service)) for service in SERVICES)
    return {
        "configure": "^$",
        "write": f"^{own}$",
        "read": f"^({own}|{parked}|{exchanges})$",
    }


def bindings_for(event_types: tuple[str, ...]) -> set[tuple[str, str]]:
    """(exchange, routing key) for each event type."""
    return {(exchange_name(spec_for(t).source), t) for t in event_types}


def parse_since(value: str) -> dt.datetime:
    """An ISO date (midnight UTC) or date-time (UTC when it names no zone)."""
    try:
        if isinstance(value, str) and len(value) == 10:
            moment = dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
        else:
            moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("invalid date", {"since": [
            "an ISO 8601 date (2026-03-01) or date-time (2026-03-01T08:00:00+07:00)"]}) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@dataclass
class Subscription:
    name: str
    user: str
    queue: str
    parked_queue: str
    events: tuple[str, ...]
    password: str | None = None  # only when it was created or changed now
    bound: list[str] = field(default_factory=list)
    unbound: list[str] = field(default_factory=list)


class Agencies:
    """Onboards and offboards agencies on one virtual host of the broker."""

    def __init__(self, management: Management, amqp_uri: str):
        self.management = management
        self.amqp_uri = amqp_uri
        self.vhost = vhost_of(amqp_uri)

    def onboard(self, name: str, events, password: str | None = None) -> Subscription:
        check_name(name)
        wanted = event_types_of(events)
        user = agency_user(name)
        new_password = password
        if self.management.user(user) is None and new_password is None:
            new_password = secrets.token_urlsafe(18)
        if new_password is not None:
            self.management.put_user(user, new_password)
        self.management.set_permissions(self.vhost, user, **permissions_for(name))
        queue = agency_queue(name)
        target = bindings_for(wanted)
        with Connection(self.amqp_uri) as connection:
            channel = connection.channel()
            for exchange in sorted({exchange for exchange, _ in target}):
                Exchange(exchange, type="topic", durable=True, channel=channel).declare()
            channel.queue_declare(parked_queue(name), durable=True, auto_delete=False,
                                  arguments=parked_arguments())
            channel.queue_declare(queue, durable=True, auto_delete=False,
                                  arguments=queue_arguments(name))
            current = self.bindings(name)
            for exchange, key in sorted(target - current):
                channel.queue_bind(queue, exchange=exchange, routing_key=key)
            for exchange, key in sorted(current - target):
                channel.queue_unbind(queue, exchange=exchange, routing_key=key)
        return Subscription(
            name=name, user=user, queue=queue, parked_queue=parked_queue(name), events=wanted,
            password=new_password,
            bound=sorted(key for _, key in target - current),
            unbound=sorted(key for _, key in current - target),
        )

    def offboard(self, name: str) -> dict[str, int]:
        """Remove the user (closing its connections) and its queues; the messages each held."""
        check_name(name)
        if self.management.user(agency_user(name)) is None and self.queue(name) is None:
            raise NotFound(f"no agency {name}")
        self.management.delete_user(agency_user(name))
        dropped = {}
        with Connection(self.amqp_uri) as connection:
            channel = connection.channel()
            for queue in (agency_queue(name), parked_queue(name)):
                if self.management.queue(self.vhost, queue) is not None:
                    dropped[queue] = channel.queue_delete(queue)
        return dropped

    def queue(self, name: str) -> dict | None:
        return self.management.queue(self.vhost, agency_queue(name))

    def bindings(self, name: str) -> set[tuple[str, str]]:
        """The (exchange, routing key) pairs the agency's queue is bound with."""
        if self.queue(name) is None:
            return set()
        platform = {exchange_name(service) for service in SERVICES}
        return {(b["source"], b["routing_key"])
                for b in self.management.queue_bindings(self.vhost, agency_queue(name))
                if b["source"] in platform}

    def subscription_of(self, name: str) -> tuple[str, ...]:
        """The event types an onboarded agency receives; ``NotFound`` when it is not onboarded
        on this virtual host (no user with its permissions, or no queue)."""
        check_name(name)
        granted = self.management.permissions(self.vhost, agency_user(name))
        if granted is None or granted.get("read") != permissions_for(name)["read"]:
            raise NotFound(f"agency {name} is not onboarded on {self.vhost}")
        if self.queue(name) is None:
            raise NotFound(f"agency {name} has no queue {agency_queue(name)}")
        return tuple(sorted(key for _, key in self.bindings(name)))

    def backfill(self, name: str, events, since: str, timeout: float = 60.0) -> dict[str, int]:
        """Ask each service that publishes ``events`` to send its history since ``since`` to the
        agency's queue; the number of events each sent. The agency must already receive those
        types, so that history and what follows arrive in the same queue."""
        wanted = event_types_of(events)
        since_at = parse_since(since)
        missing = sorted(set(wanted) - set(self.subscription_of(name)))
        if missing:
            raise InvalidInput("the agency does not receive these events", {"events": [
                f"onboard {name} with {', '.join(missing)} first"]})
        by_source: dict[str, list[str]] = {}
        for event_type in wanted:
            by_source.setdefault(spec_for(event_type).source, []).append(event_type)
        from nameko.standalone.rpc import ClusterRpcProxy

        sent = {}
        with ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, timeout=timeout) as cluster:
            for source, types in by_source.items():
                sent[source] = getattr(cluster, source).backfill(
                    agency_queue(name), types, since_at.isoformat())
        return sent
