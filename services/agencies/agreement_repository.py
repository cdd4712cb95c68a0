"""Agencies' data-sharing agreements in the gateway's database, with every change recorded.

The gateway enforces them over HTTP and the agencies service on the bus; the operators' command
writes them (``pmi agency onboard``) and shows them (``pmi agency show``). A change never overwrites
silently: each one adds a row to ``agreement_changes`` (who, when, and each term before and after).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from sqlalchemy import Engine, insert, select, update

from pmi_common.errors import NotFound
from services.agencies.domain import Agreement
from services.agencies.models import agreement_changes as changes_table
from services.agencies.models import agreements as table

TERMS = (
    "fields",
    "purpose",
    "legal_basis",
    "approved_by",
    "valid_from",
    "valid_until",
    "placement_agency",
)


def _row_to_agreement(row) -> Agreement:
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


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: list(v) for k, v in value.items()}
    return value


def _terms(agreement: Agreement) -> dict:
    values = asdict(agreement)
    return {name: values[name] for name in TERMS}


class AgreementRepository:
    def __init__(self, engine: Engine):
        self.engine = engine

    def get(self, agency: str) -> Agreement | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.agency == agency)).first()
        return _row_to_agreement(row) if row is not None else None

    def all(self) -> list[Agreement]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(table).order_by(table.c.agency)).all()
        return [_row_to_agreement(row) for row in rows]

    def put(self, agreement: Agreement, changed_by: str, now: dt.datetime) -> Agreement:
        """Create or change an agency's agreement; the change is recorded with who and when.
        Terms not changed are not recorded; an unchanged agreement records nothing."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(table).where(table.c.agency == agreement.agency).with_for_update()
            ).first()
            before = _terms(_row_to_agreement(row)) if row is not None else {}
            after = _terms(agreement)
            changed = {
                name: [_plain(before.get(name)), _plain(value)]
                for name, value in after.items()
                if before.get(name) != value
            }
            if row is not None and not changed:
                return _row_to_agreement(row)
            version = (row.version + 1) if row is not None else 1
            values = {
                **after,
                "fields": {t: list(f) for t, f in agreement.fields.items()},
                "version": version,
                "changed_at": now,
                "changed_by": changed_by,
            }
            if row is None:
                conn.execute(insert(table).values(agency=agreement.agency, **values))
            else:
                conn.execute(
                    update(table).where(table.c.agency == agreement.agency).values(**values)
                )
            conn.execute(
                insert(changes_table).values(
                    agency=agreement.agency,
                    version=version,
                    changed_at=now,
                    changed_by=changed_by,
                    action="created" if row is None else "changed",
                    changes=changed,
                )
            )
        return self.get(agreement.agency)

    def end(self, agency: str, changed_by: str, now: dt.datetime) -> Agreement:
        """End an agreement now (offboarding): it stays on record, no longer in force."""
        current = self.get(agency)
        if current is None:
            raise NotFound(f"agency {agency} has no agreement")
        with self.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.agency == agency)
                .values(
                    valid_until=now,
                    version=current.version + 1,
                    changed_at=now,
                    changed_by=changed_by,
                )
            )
            conn.execute(
                insert(changes_table).values(
                    agency=agency,
                    version=current.version + 1,
                    changed_at=now,
                    changed_by=changed_by,
                    action="ended",
                    changes={"valid_until": [_plain(current.valid_until), now.isoformat()]},
                )
            )
        return self.get(agency)

    def history(self, agency: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(changes_table)
                .where(changes_table.c.agency == agency)
                .order_by(changes_table.c.id)
            ).all()
        return [row._asdict() for row in rows]
