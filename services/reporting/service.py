"""The reporting service: the planning office's (Bappedalitbang's) figures, a read model of the
lifecycle's events. It reads no other service's database: what it counts it heard as events,
and it can be emptied and rebuilt from the services' history (``pmi reports rebuild``)."""

from __future__ import annotations

import base64

from nameko.dependency_providers import Config

from pmi_common import contract as c
from pmi_common.context import LogContext
from pmi_common.inbox import handles
from pmi_common.metrics import MetricsServer
from pmi_common.operations import ServiceOperations
from pmi_common.rpc import rpc
from pmi_common.store import Database

from . import domain as d
from . import exports, handlers, printing
from .models import metadata
from .repository import ReportingRepository

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"


class ReportingService(ServiceOperations):
    name = c.REPORTING

    db = Database(metadata, repository=ReportingRepository)
    metrics = MetricsServer()
    log = LogContext()
    config = Config()

    @handles(*handlers.EVENTS)
    def on_event(self, event):
        zone = self.config.get("DISTRICT_TIMEZONE") or d.DISTRICT_TIMEZONE
        self.db.apply_once(event, lambda uow: handlers.apply(uow, event, zone))

    # queries -------------------------------------------------------------------------------

    @rpc
    def monthly(self, query: dict) -> dict:
        """The monthly figures, per innovation and PAK CAMAT's funnel, from ``from`` to ``to``."""
        with self.db.queries() as repository:
            return handlers.monthly(repository, query)

    @rpc
    def download(self, query: dict, kind: str) -> dict:
        """The figures as a file: ``csv``, ``xlsx``, ``parquet`` (a ZIP of the Parquet files,
        one per month), ``open-data`` (CSV, small cells left out) or ``pdf`` (the printable
        monthly report, with its charts); its name, media type and content (base64)."""
        if kind == "pdf":
            with self.db.queries() as repository:
                report = handlers.monthly(repository, query)
            name = f"pmi-laporan-{report['from']}-{report['to']}.pdf"
            return _file(name, "application/pdf", printing.monthly_pdf(report))
        with self.db.queries() as repository:
            start, end = handlers.period(repository, query)
            figures = repository.figures(start, end)
            programmes = repository.programmes()
            first_actions = d.first_actions_of(repository.case_clocks(start, end))
        name = f"pmi-{kind}-{start}-{end}"
        if kind == "xlsx":
            content = exports.figures_xlsx(
                figures, d.innovations_of(figures), d.funnel_of(figures, programmes), first_actions
            )
            return _file(f"{name}.xlsx", XLSX, content)
        if kind == "parquet":
            return _file(f"{name}.zip", ZIP, exports.figures_parquet_zip(figures))
        if kind == "open-data":
            return _file(f"{name}.csv", "text/csv", exports.open_data_csv(figures).encode())
        csv = exports.figures_csv(figures, first_actions)
        return _file(f"{name}.csv", "text/csv", csv.encode())


def _file(filename: str, media_type: str, content: bytes) -> dict:
    return {
        "filename": filename,
        "media_type": media_type,
        "content_base64": base64.b64encode(content).decode(),
    }
