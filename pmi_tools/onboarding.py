"""Partner agencies: their agreements, and their users and queues on the broker.

An agency ``NAME`` (social security, immigration, a placement company...) gets:

- a data-sharing agreement (``agreements``): the event types and fields it receives, purpose,
  legal basis, approver, validity and, for a placement company, the company's name;
- the user ``agency-NAME``, which may read its own two queues and nothing else: it configures
  nothing, binds nothing and publishes nowhere;
- the durable quorum queue ``agency.NAME.events``, which only the platform's agencies service fills,
with
  the published form of what the agreement grants;
- the queue ``agency.NAME.parked``, where the broker moves what its subscriber rejects (an
  event version it does not know yet), what failed delivery too often, and, when the agency's
  queue is full (``AGENCY_QUEUE_MAX_LENGTH`` messages or ``AGENCY_QUEUE_MAX_BYTES``), its
  oldest events, so an agency that stops reading never fills the broker.

Onboarding again changes the agreement (every change recorded); offboarding ends the agreement
and removes the user and both queues. Backfill asks the agencies service to send history through the
same filter as live events.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field, replace
from urllib.parse import quote, urlsplit, urlunsplit

from kombu import Connection

from pmi_common.agreement import Agreement
from pmi_common.contract import SERVICES, exchange_name
from pmi_common.errors import InvalidInput, NotFound
from pmi_common.history import event_types_of, parse_moment, parse_since
from pmi_common.management import Management, vhost_of
from services.agencies.domain import LEGAL_BASES, check_terms
from services.agencies.published import parse_fields
from services.agencies.queues import (
    agency_queue,
    agency_user,
    check_name,
    parked_arguments,
    parked_queue,
    permissions_for,
    queue_arguments,
)


def agency_amqp_uri(amqp_uri: str, name: str, password: str) -> str:
    """The platform's AMQP URI with the agency's own credentials."""
    parts = urlsplit(amqp_uri)
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    netloc = f"{quote(agency_user(name), safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", "", ""))


@dataclass
class Terms:
    """What an operator gives when onboarding; None keeps an existing agreement's term."""

    events: str | list[str] | tuple[str, ...]
    fields: list[str] | None = None  # TYPE:f1,f2 per type (a type already granted: kept)
    purpose: str | None = None
    legal_basis: str | None = None
    approved_by: str | None = None
    valid_from: str | None = None  # default: now, for a new agreement
    valid_until: str | None = None
    placement_agency: str | None = None


@dataclass
class Subscription:
    name: str
    user: str
    queue: str
    parked_queue: str
    agreement: Agreement
    password: str | None = None  # only when it was created or changed now
    unbound: list[str] = field(default_factory=list)  # bindings to services' exchanges removed

    @property
    def events(self) -> tuple[str, ...]:
        return self.agreement.event_types


def agreement_from(
    name: str, terms: Terms, current: Agreement | None, now: dt.datetime
) -> Agreement:
    """The agreement ``terms`` ask for, over ``current``; ``InvalidInput`` when incomplete."""
    wanted = event_types_of(terms.events)
    # every type's fields named, now or in the agreement in force (kept when not named again)
    grants = parse_fields(wanted, terms.fields, current.fields if current else None)
    valid_from = (
        parse_moment(terms.valid_from, "valid_from")
        if terms.valid_from
        else current.valid_from
        if current
        else now
    )
    valid_until = (
        parse_moment(terms.valid_until, "valid_until")
        if terms.valid_until
        else current.valid_until
        if current
        else None
    )
    base = current or Agreement(
        agency=name, fields={}, purpose="", legal_basis="", approved_by="", valid_from=valid_from
    )
    agreement = replace(
        base,
        fields=grants,
        valid_from=valid_from,
        valid_until=valid_until,
        purpose=terms.purpose or base.purpose,
        legal_basis=terms.legal_basis or base.legal_basis,
        approved_by=terms.approved_by or base.approved_by,
        placement_agency=(" ".join(terms.placement_agency.split()) or None)
        if terms.placement_agency is not None
        else base.placement_agency,
    )
    check_terms(
        agreement.purpose,
        agreement.legal_basis,
        agreement.approved_by,
        agreement.valid_from,
        agreement.valid_until,
    )
    return agreement


class Agencies:
    """Onboards and offboards agencies: their agreements in ``agreements`` (the agencies
    ``AgreementRepository``), their users and queues on one virtual host of the broker."""

    def __init__(self, management: Management, amqp_uri: str, agreements):
        self.management = management
        self.amqp_uri = amqp_uri
        self.vhost = vhost_of(amqp_uri)
        self.agreements = agreements

    def onboard(
        self,
        name: str,
        terms: Terms,
        changed_by: str,
        password: str | None = None,
        now: dt.datetime | None = None,
    ) -> Subscription:
        check_name(name)
        now = now or dt.datetime.now(dt.UTC)
        agreement = agreement_from(name, terms, self.agreements.get(name), now)  # before any change
        user = agency_user(name)
        new_password = password
        if self.management.user(user) is None and new_password is None:
            new_password = secrets.token_urlsafe(18)
        if new_password is not None:
            self.management.put_user(user, new_password)
        self.management.set_permissions(self.vhost, user, **permissions_for(name))
        queue = agency_queue(name)
        with Connection(self.amqp_uri) as connection:
            channel = connection.channel()
            channel.queue_declare(
                parked_queue(name), durable=True, auto_delete=False, arguments=parked_arguments()
            )
            channel.queue_declare(
                queue, durable=True, auto_delete=False, arguments=queue_arguments(name)
            )
            direct = self.bindings(
                name
            )  # left by an earlier release: the agencies service fills it now
            for exchange, key in sorted(direct):
                channel.queue_unbind(queue, exchange=exchange, routing_key=key)
        stored = self.agreements.put(agreement, changed_by, now)
        return Subscription(
            name=name,
            user=user,
            queue=queue,
            parked_queue=parked_queue(name),
            agreement=stored,
            password=new_password,
            unbound=sorted(f"{exchange} {key}" for exchange, key in direct),
        )

    def offboard(
        self, name: str, changed_by: str, now: dt.datetime | None = None
    ) -> dict[str, int]:
        """End the agreement (kept on record), remove the user (closing its connections) and
        its queues; the messages each held."""
        check_name(name)
        if (
            self.agreements.get(name) is None
            and self.management.user(agency_user(name)) is None
            and self.queue(name) is None
        ):
            raise NotFound(f"no agency {name}")
        if self.agreements.get(name) is not None:
            self.agreements.end(name, changed_by, now or dt.datetime.now(dt.UTC))
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
        """Bindings of the agency's queue to the services' exchanges (none, once onboarded)."""
        if self.queue(name) is None:
            return set()
        platform = {exchange_name(service) for service in SERVICES}
        return {
            (b["source"], b["routing_key"])
            for b in self.management.queue_bindings(self.vhost, agency_queue(name))
            if b["source"] in platform
        }

    def agreement_of(self, name: str) -> Agreement:
        """An onboarded agency's agreement; ``NotFound`` when it has none."""
        check_name(name)
        agreement = self.agreements.get(name)
        if agreement is None:
            raise NotFound(f"agency {name} has no agreement")
        return agreement

    def backfill(self, name: str, events, since: str, timeout: float = 60.0) -> dict[str, int]:
        """Ask the agencies service to send the history of ``events`` since ``since`` to the
        agency's queue, through its agreement's filter; how many events of each service it sent."""
        wanted = event_types_of(events)
        since_at = parse_since(since)
        agreement = self.agreement_of(name)
        missing = sorted(set(wanted) - set(agreement.event_types))
        if missing:
            raise InvalidInput(
                "the agency's agreement does not grant these events",
                {"events": [f"onboard {name} with {', '.join(missing)} first"]},
            )
        if self.queue(name) is None:
            raise NotFound(f"agency {name} has no queue {agency_queue(name)}")
        from nameko.standalone.rpc import ClusterRpcProxy

        import pmi_common.rpc  # noqa: F401 - the platform's errors come back as themselves

        with ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, timeout=timeout) as cluster:
            return cluster.agencies.backfill(name, list(wanted), since_at.isoformat())


def render_agency(
    agreement: Agreement, history: list[dict], queue: dict | None, now: dt.datetime | None = None
) -> str:
    """``pmi agency show``: the agreement, whether it is in force, its queue, its changes."""
    now = now or dt.datetime.now(dt.UTC)
    state = "in force" if agreement.in_force(now) else "NOT in force"
    lines = [
        f"agency {agreement.agency} (agreement version {agreement.version}, {state})",
        f"  purpose:          {agreement.purpose}",
        f"  legal basis:      {agreement.legal_basis} ({LEGAL_BASES[agreement.legal_basis]})",
        f"  approved by:      {agreement.approved_by}",
        f"  valid:            {agreement.valid_from.isoformat()} until "
        f"{agreement.valid_until.isoformat() if agreement.valid_until else '(open-ended)'}",
        "  workers:          "
        + (
            f"recruits of {agreement.placement_agency} only"
            if agreement.placement_agency
            else "all"
        ),
        f"  queue:            {agency_queue(agreement.agency)} "
        + (
            f"({queue.get('messages', 0)} waiting, {queue.get('consumers', 0)} consumers)"
            if queue
            else "(missing)"
        ),
        "  events and fields:",
    ]
    lines += [
        f"    {event_type}: {', '.join(fields)}" for event_type, fields in agreement.fields.items()
    ]
    lines.append("  changes:")
    for change in history:
        terms = "; ".join(
            f"{name}: {before} -> {after}" for name, (before, after) in change["changes"].items()
        )
        lines.append(
            f"    v{change['version']} {change['changed_at'].isoformat()} "
            f"{change['action']} by {change['changed_by']}: {terms}"
        )
    return "\n".join(lines)
