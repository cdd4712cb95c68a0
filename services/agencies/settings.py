"""Where agencies' own settings are kept, besides their agreement (the rules: ``domain``): how the
agency's queue carries each event (``platform``, the default, or a CloudEvent in the binary or
structured mode of the CloudEvents AMQP binding) and the contact e-mail the platform tells when
something of the agency's needs it (an endpoint it disabled). Set by ``pmi agency settings`` and the
admin's
``PATCH /agencies/{agency}``; read by the agencies service for every batch it delivers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert, select, update

from services.agencies.models import agency_settings as table

from .domain import UNSET, AgencySettings, check_contact_email, check_queue_format


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
