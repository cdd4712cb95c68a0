"""What the egress does with an internal event: keep who recruited each worker, and queue the
published form each agency's agreement grants for delivery (in the same transaction as the
event's inbox record, so an event is fanned out once, and nothing is lost between the two)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gateway.agreements import AgreementBook
from gateway.models import agency_deliveries, recruits
from pmi_common import contract as c
from pmi_common.agencies import event_types_of, parse_since
from pmi_common.agreements import Agreement, disclose
from pmi_common.errors import InvalidInput, NotFound
from pmi_common.store import insert_if_absent

AskRecruiter = Callable[[str], str | None]  # registration's answer for a worker unknown here


class Recruiters:
    """Who recruited each worker: from ``worker_registered``; a worker registered before the
    egress ran is asked of the registration service once, then kept."""

    def __init__(self, conn: Session, ask: AskRecruiter):
        self.conn = conn
        self.ask = ask

    def remember(self, envelope: dict) -> None:
        if envelope["event_type"] != c.WORKER_REGISTERED:
            return
        company = envelope["data"]["placement_agency"]
        if not insert_if_absent(self.conn, recruits, "worker_id",
                                worker_id=envelope["worker_id"], placement_agency=company):
            self.conn.execute(recruits.update().where(
                recruits.c.worker_id == envelope["worker_id"]).values(placement_agency=company))

    def of(self, worker_id: str) -> str | None:
        company = self.conn.execute(select(recruits.c.placement_agency).where(
            recruits.c.worker_id == worker_id)).scalar()
        if company is None:
            company = self.ask(worker_id)
            if company is not None:
                insert_if_absent(self.conn, recruits, "worker_id", worker_id=worker_id,
                                 placement_agency=company)
        return company


def fan_out(conn: Session, envelope: dict, agreements: list[Agreement],
            recruiters: Recruiters, pseudonym_key: str, now: dt.datetime) -> list[str]:
    """Queue ``envelope``'s published form for each agency granted it; those agencies."""
    recruiters.remember(envelope)
    rows = []
    for agreement in agreements:
        published = disclose(envelope, agreement, now=now, pseudonym_key=pseudonym_key,
                             placement_agency_of=recruiters.of)
        if published is not None:
            rows.append({"agency": agreement.agency, "worker_id": envelope.get("worker_id"),
                         "event_id": envelope["event_id"], "event_type": envelope["event_type"],
                         "envelope": published, "created_at": now})
    if rows:
        conn.execute(insert(agency_deliveries), rows)
    return [row["agency"] for row in rows]


class Agreements:
    """The agreements in force, read again at most every ``ttl`` seconds (a change made with
    ``pmi agency onboard`` applies within that time)."""

    def __init__(self, book: AgreementBook, ttl: float = 2.0,
                 clock: Callable[[], float] | None = None):
        import time

        self.book = book
        self.ttl = ttl
        self.clock = clock or time.monotonic
        self._read_at: float | None = None
        self._agreements: list[Agreement] = []

    def current(self) -> list[Agreement]:
        now = self.clock()
        if self._read_at is None or now - self._read_at >= self.ttl:
            self._agreements = self.book.all()
            self._read_at = now
        return self._agreements


def history_asked(agreement: Agreement | None, agency: str, event_types, since: str,
                  now: dt.datetime) -> tuple[Agreement, dict[str, list[str]]]:
    """The agreement a backfill goes through and the event types to ask of each service;
    ``NotFound`` without an agreement in force, ``InvalidInput`` for types it does not grant."""
    types = event_types_of(event_types, field_name="event_types")
    parse_since(since)
    if agreement is None or not agreement.in_force(now):
        raise NotFound(f"agency {agency} has no agreement in force")
    refused = sorted(set(types) - set(agreement.event_types))
    if refused:
        raise InvalidInput("the agreement does not grant these events", {
            "event_types": [f"not granted: {', '.join(refused)}"]})
    by_source: dict[str, list[str]] = {}
    for event_type in types:
        by_source.setdefault(c.spec_for(event_type).source, []).append(event_type)
    return agreement, by_source
