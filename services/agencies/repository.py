"""Where the agencies service keeps its agreements (with every change recorded), the disclosure
record (append-only: what each agency received about each worker, read by worker through
``ix_disclosures_worker``), agencies' settings, who recruited
each worker (a placement company receives its own recruits only) and what waits for each agency's
queue and webhooks, as the agreements disclosed it. The deliverers take the queued rows from here
(``delivery``, ``webhook_delivery``).

The domain's ``Agreement`` is read and written whole: a change never overwrites silently, each
one adds a row to ``agreement_changes`` (who, when, and each term before and after).

A page of history is written with one statement per table (``keep_recruiters``, ``queue``), not
one per event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Session

from pmi_common.agreement import Agreement, Disclosure, agreement_from_row
from pmi_common.store import insert_if_absent, newest_first, upsert, upsert_many

from .domain import AGREEMENT_TERMS, AgencySettings
from .models import (
    agency_deliveries,
    agency_settings,
    agreement_changes,
    agreements,
    disclosures,
    recruits,
    webhook_deliveries,
)

DISCLOSURES_PAGE = 100


class AgenciesRepository:
    def __init__(self, session: Session | Connection):
        """``session``: a session, or a connection in a transaction (the deliverers', whose
        disclosures are recorded with what they delivered)."""
        self.session = session

    # agreements ---------------------------------------------------------------------------------

    def agreement_of(self, agency: str, *, lock: bool = False) -> Agreement | None:
        """The agency's agreement (in force or not), locked until the transaction ends when
        ``lock``: changes to one agreement take turns."""
        stmt = select(agreements).where(agreements.c.agency == agency)
        row = self.session.execute(stmt.with_for_update() if lock else stmt).first()
        return agreement_from_row(row) if row is not None else None

    def agreements(self) -> list[Agreement]:
        """Every agreement, in force or not, by agency."""
        rows = self.session.execute(select(agreements).order_by(agreements.c.agency)).all()
        return [agreement_from_row(row) for row in rows]

    def keep_agreement(
        self,
        agreement: Agreement,
        *,
        changed_by: str,
        now: dt.datetime,
        action: str,
        changes: dict[str, list],
    ) -> None:
        """Keep ``agreement`` as it now is (the agency's first, or replacing its current one),
        and record the change: ``action`` (created, changed, ended) and ``changes``."""
        values = {name: getattr(agreement, name) for name in AGREEMENT_TERMS if name != "fields"}
        values.update(
            fields={t: list(f) for t, f in agreement.fields.items()},
            version=agreement.version,
            changed_at=now,
            changed_by=changed_by,
        )
        known = agreements.c.agency == agreement.agency
        if self.session.execute(select(agreements.c.agency).where(known)).first() is None:
            self.session.execute(insert(agreements).values(agency=agreement.agency, **values))
        else:
            self.session.execute(update(agreements).where(known).values(**values))
        self.session.execute(
            insert(agreement_changes).values(
                agency=agreement.agency,
                version=agreement.version,
                changed_at=now,
                changed_by=changed_by,
                action=action,
                changes=changes,
            )
        )

    def agreement_history(self, agency: str) -> list[dict]:
        """Every change of the agency's agreement, oldest first."""
        rows = self.session.execute(
            select(agreement_changes)
            .where(agreement_changes.c.agency == agency)
            .order_by(agreement_changes.c.id)
        ).all()
        return [row._asdict() for row in rows]

    # the disclosure record -----------------------------------------------------------------------

    def record_disclosures(self, given: list[Disclosure], now: dt.datetime) -> int:
        """Append what agencies were given about workers (one row per worker per disclosure);
        how many rows."""
        rows = [
            {
                "worker_id": d.worker_id,
                "agency": d.agency,
                "channel": d.channel,
                "what": d.what,
                "reference": d.reference[:200],
                "fields": list(d.fields),
                "disclosed_at": now,
            }
            for d in given
        ]
        if rows:
            self.session.execute(insert(disclosures), rows)
        return len(rows)

    def disclosures_of(
        self, worker_id: str, limit: int = DISCLOSURES_PAGE, cursor: str | None = None
    ) -> dict:
        """A worker's disclosures, newest first; ``next_cursor`` pages to older ones."""
        rows, next_cursor = newest_first(self.session, disclosures, worker_id, limit, cursor)
        return {
            "items": [
                {
                    "agency": r.agency,
                    "channel": r.channel,
                    "what": r.what,
                    "reference": r.reference,
                    "fields": r.fields,
                    "disclosed_at": r.disclosed_at.isoformat(),
                }
                for r in rows
            ],
            "next_cursor": next_cursor,
        }

    # agencies' settings ---------------------------------------------------------------------------

    def settings_of(self, agency: str) -> AgencySettings:
        """The agency's settings (the defaults when none were set)."""
        row = self.session.execute(
            select(agency_settings).where(agency_settings.c.agency == agency)
        ).first()
        if row is None:
            return AgencySettings(agency)
        return AgencySettings(row.agency, row.queue_format, row.contact_email)

    def keep_settings(self, settings: AgencySettings, changed_by: str, now: dt.datetime) -> None:
        upsert(
            self.session,
            agency_settings,
            "agency",
            {
                "agency": settings.agency,
                "queue_format": settings.queue_format,
                "contact_email": settings.contact_email,
                "changed_at": now,
                "changed_by": changed_by,
            },
            ["queue_format", "contact_email", "changed_at", "changed_by"],
        )

    # who recruited each worker ------------------------------------------------------------------

    def recruiter_of(self, worker_id: str) -> str | None:
        return self.session.execute(
            select(recruits.c.placement_agency).where(recruits.c.worker_id == worker_id)
        ).scalar()

    def keep_recruiter(self, worker_id: str, company: str) -> None:
        """The company registration says recruited the worker, now (the latest wins)."""
        upsert(
            self.session,
            recruits,
            "worker_id",
            {"worker_id": worker_id, "placement_agency": company},
            ["placement_agency"],
        )

    def keep_recruiters(self, companies: Mapping[str, str]) -> None:
        """``keep_recruiter`` of many workers, in one statement."""
        upsert_many(
            self.session,
            recruits,
            "worker_id",
            [{"worker_id": w, "placement_agency": company} for w, company in companies.items()],
            ["placement_agency"],
        )

    def learn_recruiter(self, worker_id: str, company: str) -> None:
        """What registration answered about a worker unknown here, unless an event about them
        was kept meanwhile (it is newer)."""
        insert_if_absent(
            self.session, recruits, "worker_id", worker_id=worker_id, placement_agency=company
        )

    # what waits for agencies ------------------------------------------------------------------

    def queue(self, deliveries: list[dict], webhook_deliveries_: list[dict]) -> None:
        """Queue published events for agencies' queues (``deliveries``) and for their webhook
        endpoints, one statement per table."""
        if deliveries:
            self.session.execute(insert(agency_deliveries), deliveries)
        if webhook_deliveries_:
            self.session.execute(insert(webhook_deliveries), webhook_deliveries_)

    def queued_for(self, agency: str) -> list[dict]:
        """What waits for ``agency``'s queue, oldest first."""
        return [
            dict(row)
            for row in self.session.execute(
                select(agency_deliveries)
                .where(agency_deliveries.c.agency == agency)
                .order_by(agency_deliveries.c.id)
            ).mappings()
        ]

    def queued_for_endpoint(self, endpoint_id: str) -> list[dict]:
        """What waits for one webhook endpoint (or was delivered to it), oldest first."""
        return [
            dict(row)
            for row in self.session.execute(
                select(webhook_deliveries)
                .where(webhook_deliveries.c.endpoint_id == endpoint_id)
                .order_by(webhook_deliveries.c.id)
            ).mappings()
        ]
