"""Agencies' own settings, besides their agreement, in the gateway's database: how the agency's
queue carries each event (``platform``, the default, or a CloudEvent in the binary or structured
mode of the CloudEvents AMQP binding) and the contact e-mail the platform tells when something of
the agency's needs it (an endpoint it disabled). Set by ``pmi agency settings`` and the admin's
``PATCH /agencies/{agency}``; read by the agencies service for every batch it delivers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update

from pmi_common.errors import InvalidInput
from services.agencies.models import agency_settings as table

# one address, no display name: local@domain.tld (what a mail server accepts, loosely)
EMAIL = re.compile(
    r"^[^@\s<>,;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
UNSET = object()

# how an agency's queue carries each event: the platform's own form, or a CloudEvent in one of
# the content modes of the CloudEvents AMQP binding (``services.agencies.cloud_events``)
PLATFORM, BINARY, STRUCTURED = "platform", "cloudevents-binary", "cloudevents-structured"
QUEUE_FORMATS = (PLATFORM, BINARY, STRUCTURED)


@dataclass(frozen=True)
class AgencySettings:
    agency: str
    queue_format: str = PLATFORM
    contact_email: str | None = None

    def view(self) -> dict:
        return {
            "agency": self.agency,
            "queue_format": self.queue_format,
            "contact_email": self.contact_email,
        }


def check_queue_format(value) -> str:
    if value not in QUEUE_FORMATS:
        raise InvalidInput(
            "unknown queue format", {"queue_format": [f"one of {', '.join(QUEUE_FORMATS)}"]}
        )
    return value


def check_contact_email(value) -> str | None:
    """An address, or None (``""`` removes it)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 320 or not EMAIL.match(value.strip()):
        raise InvalidInput(
            "invalid contact e-mail",
            {"contact_email": ["one address, like integrasi@bpjs.example"]},
        )
    return value.strip()


class SettingsRepository:
    def __init__(self, engine: Engine):
        self.engine = engine

    def get(self, agency: str) -> AgencySettings:
        """The agency's settings (the defaults when none were set)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.agency == agency)).first()
        if row is None:
            return AgencySettings(agency)
        return AgencySettings(row.agency, row.queue_format, row.contact_email)

    def put(
        self,
        agency: str,
        changed_by: str,
        now: dt.datetime,
        queue_format=UNSET,
        contact_email=UNSET,
    ) -> AgencySettings:
        """Change what is given (checked first: bad input changes nothing)."""
        current = self.get(agency)
        values = {
            "queue_format": current.queue_format
            if queue_format is UNSET
            else check_queue_format(queue_format),
            "contact_email": current.contact_email
            if contact_email is UNSET
            else check_contact_email(contact_email),
            "changed_at": now,
            "changed_by": changed_by,
        }
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(table).where(table.c.agency == agency).values(**values)
            ).rowcount
            if not changed:
                conn.execute(insert(table).values(agency=agency, **values))
        return self.get(agency)
