"""The agencies repository in memory: agreements and their changes, agencies' settings, who
recruited each worker and what waits for agencies' queues and webhooks, with the real repository's
methods and meaning (tests/integration/test_agencies_repository.py runs the same checks against
both)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from pmi_common.agreement import Agreement, Disclosure
from pmi_common.paging import decode_cursor, page
from services.agencies.domain import AgencySettings


class FakeAgenciesRepository:
    def __init__(self):
        self.kept_agreements: dict[str, Agreement] = {}
        self.changes: list[dict] = []
        self.disclosed: list[dict] = []
        self.settings: dict[str, AgencySettings] = {}
        self.recruits: dict[str, str] = {}
        self.deliveries: list[dict] = []
        self.webhook_deliveries: list[dict] = []

    def agreement_of(self, agency: str, *, lock: bool = False) -> Agreement | None:
        return self.kept_agreements.get(agency)

    def agreements(self) -> list[Agreement]:
        return [self.kept_agreements[agency] for agency in sorted(self.kept_agreements)]

    def keep_agreement(
        self,
        agreement: Agreement,
        *,
        changed_by: str,
        now: dt.datetime,
        action: str,
        changes: dict[str, list],
    ) -> None:
        self.kept_agreements[agreement.agency] = agreement
        self.changes.append(
            {
                "id": len(self.changes) + 1,
                "agency": agreement.agency,
                "version": agreement.version,
                "changed_at": now,
                "changed_by": changed_by,
                "action": action,
                "changes": changes,
            }
        )

    def agreement_history(self, agency: str) -> list[dict]:
        return [dict(change) for change in self.changes if change["agency"] == agency]

    def record_disclosures(self, given: list[Disclosure], now: dt.datetime) -> int:
        for d in given:
            self.disclosed.append(
                {
                    "id": len(self.disclosed) + 1,
                    "worker_id": d.worker_id,
                    "agency": d.agency,
                    "channel": d.channel,
                    "what": d.what,
                    "reference": d.reference[:200],
                    "fields": list(d.fields),
                    "disclosed_at": now,
                }
            )
        return len(given)

    def disclosures_of(self, worker_id: str, limit: int = 100, cursor: str | None = None) -> dict:
        before = decode_cursor(cursor, (int,))[0] if cursor else None
        rows = [
            row
            for row in reversed(self.disclosed)
            if row["worker_id"] == worker_id and (before is None or row["id"] < before)
        ]
        items, next_cursor = page(rows[: limit + 1], limit, key=lambda row: (row["id"],))
        return {
            "items": [
                {
                    **{k: row[k] for k in ("agency", "channel", "what", "reference", "fields")},
                    "disclosed_at": row["disclosed_at"].isoformat(),
                }
                for row in items
            ],
            "next_cursor": next_cursor,
        }

    def settings_of(self, agency: str) -> AgencySettings:
        return self.settings.get(agency, AgencySettings(agency))

    def keep_settings(self, settings: AgencySettings, changed_by: str, now: dt.datetime) -> None:
        self.settings[settings.agency] = settings

    def recruiter_of(self, worker_id: str) -> str | None:
        return self.recruits.get(worker_id)

    def keep_recruiter(self, worker_id: str, company: str) -> None:
        self.recruits[worker_id] = company

    def keep_recruiters(self, companies: Mapping[str, str]) -> None:
        self.recruits.update(companies)

    def learn_recruiter(self, worker_id: str, company: str) -> None:
        self.recruits.setdefault(worker_id, company)

    def queue(self, deliveries: list[dict], webhook_deliveries_: list[dict]) -> None:
        self.deliveries += [
            {**row, "id": len(self.deliveries) + n + 1} for n, row in enumerate(deliveries)
        ]
        self.webhook_deliveries += [
            {**row, "id": len(self.webhook_deliveries) + n + 1}
            for n, row in enumerate(webhook_deliveries_)
        ]

    def queued_for(self, agency: str) -> list[dict]:
        return [dict(row) for row in self.deliveries if row["agency"] == agency]

    def queued_for_endpoint(self, endpoint_id: str) -> list[dict]:
        return [dict(row) for row in self.webhook_deliveries if row["endpoint_id"] == endpoint_id]
