"""The agreement that grants an agency the published contract's fields, the disclosures it
records, and the formats an agency's queue takes: plain Python (no framework, no contract
schemas), read by the agencies service's domain rules and, through ``published``, by the
gateway."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pmi_common import names as c

# The agreement -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    agency: str
    fields: dict[str, tuple[str, ...]]  # event type -> the published fields granted
    purpose: str
    legal_basis: str
    approved_by: str
    valid_from: dt.datetime
    valid_until: dt.datetime | None = None
    placement_agency: str | None = None  # a placement company: only its own recruits
    version: int = 1

    @property
    def event_types(self) -> tuple[str, ...]:
        return tuple(self.fields)

    def in_force(self, now: dt.datetime) -> bool:
        return self.valid_from <= now and (self.valid_until is None or now < self.valid_until)

    def covers(self, worker_placement_agency: str | None) -> bool:
        """Whether a worker recruited by ``worker_placement_agency`` is in this agreement's
        scope (every worker, unless the agency is a placement company)."""
        if self.placement_agency is None:
            return True
        return _same_company(self.placement_agency, worker_placement_agency)

    def granted(self, event_type: str) -> tuple[str, ...]:
        return self.fields.get(event_type, ())


def _same_company(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def agreement_from_row(row) -> Agreement:
    """An agreement from its row in the agencies database's ``agreements`` table (the agencies
    service's repository, and the gateway's read-only role, read the same columns)."""
    return Agreement(
        agency=row.agency,
        fields={t: tuple(f) for t, f in row.fields.items()},
        purpose=row.purpose,
        legal_basis=row.legal_basis,
        approved_by=row.approved_by,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        placement_agency=row.placement_agency,
        version=row.version,
    )


@dataclass
class Disclosure:
    """What one agency received about one worker."""

    agency: str
    worker_id: str
    channel: str  # amqp, http, webhook
    what: str  # the event type, or the HTTP route
    reference: str  # the event id, or the path read
    fields: list[str] = field(default_factory=list)


CASE_EVENTS = (
    c.CASE_OPENED,
    c.CASE_ASSIGNED,
    c.CASE_STATUS_CHANGED,
    c.CASE_RESOLVED,
    c.CASE_OUTCOME_RECORDED,
    c.CASE_LINKED,
    c.CASE_REFERRED,
)


# how an agency's queue carries each event: the platform's own form, or a CloudEvent in one of
# the content modes of the CloudEvents AMQP binding (``services.agencies.cloud_events``)
PLATFORM, BINARY, STRUCTURED = "platform", "cloudevents-binary", "cloudevents-structured"
QUEUE_FORMATS = (PLATFORM, BINARY, STRUCTURED)
