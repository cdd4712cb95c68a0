"""Where the agencies service keeps what an event leaves behind: who recruited each worker (a
placement company receives its own recruits only) and what waits for each agency's queue and
webhooks, as the agreements disclosed it. The only SQL of the event path; the deliverers take
the queued rows from here (``delivery``, ``webhook_delivery``).

A page of history is written with one statement per table (``keep_recruiters``, ``queue``), not
one per event.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pmi_common.store import insert_if_absent, upsert, upsert_many

from .models import agency_deliveries, recruits, webhook_deliveries


class AgenciesRepository:
    def __init__(self, session: Session):
        self.session = session

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
