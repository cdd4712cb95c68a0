"""Agencies' own settings, besides their agreement, for callers outside the service's units of
work: how the agency's queue carries each event (``platform``, the default, or a CloudEvent in
the binary or structured mode of the CloudEvents AMQP binding) and the contact e-mail the platform
tells when something of the agency's needs it (an endpoint it disabled). Set by ``pmi agency
settings`` and the admin's ``PATCH /agencies/{agency}`` (``handlers.change_settings``); read by
the agencies service for every batch it delivers. Each call is one transaction over the agencies
repository."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from . import handlers
from .domain import UNSET, AgencySettings
from .repository import AgenciesRepository


class SettingsRepository:
    def __init__(self, engine: Engine):
        self.engine = engine

    def get(self, agency: str) -> AgencySettings:
        """The agency's settings (the defaults when none were set)."""
        with Session(self.engine) as session:
            return AgenciesRepository(session).settings_of(agency)

    def put(
        self,
        agency: str,
        changed_by: str,
        now: dt.datetime,
        queue_format=UNSET,
        contact_email=UNSET,
    ) -> AgencySettings:
        """Change what is given (checked first: bad input changes nothing)."""
        with Session(self.engine) as session, session.begin():
            return handlers.change_settings(
                AgenciesRepository(session), agency, changed_by, now, queue_format, contact_email
            )
