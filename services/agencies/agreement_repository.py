"""Agencies' data-sharing agreements for callers outside the service's units of work: the
operators' command writes them (``pmi agency onboard``) and shows them (``pmi agency show``), the
gateway enforces them over HTTP, the deliverers on the bus. Each call is one transaction over the
agencies repository; what a change records is the handlers' (``put_agreement``,
``end_agreement``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pmi_common.agreement import Agreement

from . import handlers
from .repository import AgenciesRepository


class AgreementRepository:
    def __init__(self, engine: Engine):
        self.engine = engine

    def get(self, agency: str) -> Agreement | None:
        with Session(self.engine) as session:
            return AgenciesRepository(session).agreement_of(agency)

    def all(self) -> list[Agreement]:
        with Session(self.engine) as session:
            return AgenciesRepository(session).agreements()

    def put(self, agreement: Agreement, changed_by: str, now: dt.datetime) -> Agreement:
        with Session(self.engine) as session, session.begin():
            return handlers.put_agreement(AgenciesRepository(session), agreement, changed_by, now)

    def end(self, agency: str, changed_by: str, now: dt.datetime) -> Agreement:
        with Session(self.engine) as session, session.begin():
            return handlers.end_agreement(AgenciesRepository(session), agency, changed_by, now)

    def history(self, agency: str) -> list[dict]:
        with Session(self.engine) as session:
            return AgenciesRepository(session).agreement_history(agency)
