"""An agency's agreement, read where the agencies service keeps it: a read-only connection to the
agencies database (``AGENCIES_READ_DATABASE_URL``, a role that may only ``SELECT`` agreements).

Every request an agency makes is checked against its agreement before anything else runs (in
force? which filters? which of its fields?), so the check is on the path of every agency
request: one primary-key read on a pooled connection, instead of a round trip over the broker to
the agencies service, and read fresh each time, so an agreement ended is refused at the next
request (no cache to outlive it). Everything the gateway writes about agencies (the disclosures
an answer makes, webhook endpoints, settings) goes to the agencies service over RPC.
"""

from __future__ import annotations

import datetime as dt

from nameko.exceptions import ConfigurationError
from nameko.extensions import SharedExtension
from sqlalchemy import JSON, Integer, String, Text, column, select, table
from sqlalchemy.exc import DBAPIError

from pmi_common.agreement import Agreement, agreement_from_row
from pmi_common.errors import Forbidden
from pmi_common.published import pseudonym_key
from pmi_common.rpc import ServiceUnavailable
from pmi_common.tables import AwareDateTime

from .agency_reads import check_filters, in_force, shape
from .registry import read_only_engine

# the columns of the agencies database's ``agreements`` the read-only role reads (the agencies
# service's migrations own the table; ``agreement_from_row`` reads these names)
agreements = table(
    "agreements",
    column("agency", String),
    column("fields", JSON),
    column("purpose", Text),
    column("legal_basis", String),
    column("approved_by", String),
    column("valid_from", AwareDateTime()),
    column("valid_until", AwareDateTime()),
    column("placement_agency", String),
    column("version", Integer),
)

SETTING = "AGENCIES_READ_DATABASE_URL"
PASSWORD_SETTING = "AGREEMENTS_READER_PASSWORD"


class Agreements(SharedExtension):
    """Agencies' agreements, read-only, and the key of the staff pseudonyms agencies are given."""

    def setup(self):
        config = self.container.config
        try:
            self.key = pseudonym_key(config)
        except ValueError as exc:
            raise ConfigurationError(f"the gateway cannot start: {exc}") from exc
        url = config.get(SETTING)
        self.engine = (
            read_only_engine(url, min(self.container.max_workers, 10), config.get(PASSWORD_SETTING))
            if url
            else None
        )

    def stop(self):
        if self.engine is not None:
            self.engine.dispose()

    def kill(self):
        self.stop()

    def agreement_of(self, agency: str | None) -> Agreement:
        """The agency's agreement in force, or ``Forbidden`` saying why not."""
        if not agency:
            raise Forbidden(f"agency {agency} has no data-sharing agreement with the platform")
        if self.engine is None:
            raise ServiceUnavailable("agencies", f"agreements are read through {SETTING}: unset")
        try:
            row = self._row(agency)
        except DBAPIError as exc:  # a pooled connection the database dropped (a restart)
            if not exc.connection_invalidated:
                raise
            row = self._row(agency)  # once more, on a fresh connection
        found = agreement_from_row(row) if row is not None else None
        return in_force(found, agency, dt.datetime.now(dt.UTC))

    def _row(self, agency: str):
        assert self.engine is not None
        with self.engine.connect() as conn:
            return conn.execute(select(agreements).where(agreements.c.agency == agency)).first()

    check_filters = staticmethod(check_filters)

    def shape(self, route: str, body, agreement: Agreement, path: str):
        """``body`` as the agency may read it, and the disclosures that makes."""
        return shape(route, body, agreement, path, self.key)
