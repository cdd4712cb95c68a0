"""What an ``agency`` token may read: what its agency's agreement covers, and each read recorded.

An agency whose agreement is missing, not yet or no longer in force gets 403 on every route. On
the routes that answer about workers (``SHAPED``) it reads the workers its agreement covers (a
placement company: its own recruits; another worker is 404, as if unknown) with the fields its
agreement grants (``services.agencies.agreements``: the same grants as its events), and every worker
it is answered about is recorded in the disclosure record before the answer leaves.
Every other personal route is closed to agencies by the role table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from nameko.exceptions import ConfigurationError
from nameko.extensions import SharedExtension

from pmi_common.errors import Forbidden, NotFound
from pmi_common.sealing import webhook_sealer
from pmi_common.store import make_engine
from services.agencies.domain import (
    LIST_FILTER_GRANTS,
    Agreement,
    Disclosure,
    filters_not_granted,
    timeline_for,
    worker_record_for,
)
from services.agencies.published import pseudonym_key

from .agreement_repository import AgreementRepository

HTTP = "http"
SMALL_CELL = 5  # a count below this could single a worker out: it is not given to agencies


class AgencyGrants(SharedExtension):
    """The agencies service's agreements, in its own database; the keys of what agencies are
    given (staff pseudonyms) and of their webhooks' secrets (sealed)."""

    def setup(self):
        config = self.container.config
        try:
            self.key = pseudonym_key(config)
            self.sealer = webhook_sealer(config)
        except ValueError as exc:
            raise ConfigurationError(f"{self.container.service_name} cannot start: {exc}") from exc
        self.engine = make_engine(config["DATABASE_URL"], workers=5)
        self.agreements = AgreementRepository(self.engine)

    def stop(self):
        self.engine.dispose()

    def kill(self):
        self.stop()


def in_force(agreement: Agreement | None, agency: str | None, now: dt.datetime) -> Agreement:
    """The agency's agreement when it is in force, or ``Forbidden`` saying why not."""
    if agreement is None:
        raise Forbidden(f"agency {agency} has no data-sharing agreement with the platform")
    if not agreement.in_force(now):
        raise Forbidden(
            f"the data-sharing agreement of agency {agency} is not in force",
            {
                "valid_from": agreement.valid_from.isoformat(),
                "valid_until": agreement.valid_until.isoformat() if agreement.valid_until else None,
            },
        )
    return agreement


def check_filters(query: dict, agreement: Agreement) -> None:
    refused = filters_not_granted(query, agreement)
    if refused:
        raise Forbidden(
            f"the agreement of agency {agreement.agency} does not grant "
            f"{', '.join(refused)}: it cannot filter by them",
            {"filters": refused},
        )


def shape(route: str, body, agreement: Agreement, path: str, key: str):
    """``body`` as the agency may read it, and the disclosures it makes (recorded before the
    answer leaves)."""
    shaped, given = SHAPED[route](body, agreement, key)
    return shaped, [
        Disclosure(agreement.agency, worker_id, HTTP, route, path, fields)
        for worker_id, fields in given
    ]


def _worker(body: dict, agreement: Agreement, key: str):
    shown = worker_record_for(body, agreement)
    if shown is None:
        raise NotFound(f"no worker {body.get('id')}")
    return shown[0], [(body["id"], shown[1])]


def _workers(body: dict, agreement: Agreement, key: str):
    items, given = [], []
    for record in body.get("items", []):
        shown = worker_record_for(record, agreement)
        if shown is not None:
            items.append(shown[0])
            given.append((record["id"], shown[1]))
    return {**body, "items": items}, given


def _timeline(body: WorkerTimeline, agreement: Agreement, key: str):
    if worker_record_for(body.worker, agreement) is None:
        raise NotFound(f"no worker {body.worker.get('id')}")
    shown, fields = timeline_for(body.entries, agreement, key)
    return shown, [(body.worker["id"], fields)]


@dataclass(frozen=True)
class WorkerTimeline:
    """A timeline as an agency's read needs it: with the worker it is about (whose recruit?)."""

    worker: dict
    entries: list


SHAPED = {"get_worker": _worker, "list_workers": _workers, "get_timeline": _timeline}


def recruit_stats(counts: dict[str, dict[str, int]], agreement: Agreement) -> dict:
    """``/stats`` as an agency reads it: over its own recruits only (a placement company's), by
    the dimensions its agreement lets it read (as it may filter ``/workers``: the same grants),
    every count below ``SMALL_CELL`` left out (a total below it is null)."""
    if agreement.placement_agency is None:
        raise Forbidden(
            f"statistics are over an agency's own recruits: the agreement of agency "
            f"{agreement.agency} names no placement company"
        )
    total = counts.get("total", {}).get("", 0)
    workers: dict = {"total": total if total >= SMALL_CELL else None}
    for name, (event_type, field_name) in LIST_FILTER_GRANTS.items():
        if field_name in agreement.granted(event_type):
            cells = counts.get(name, {})
            workers[f"by_{name}"] = {k: n for k, n in cells.items() if n >= SMALL_CELL}
    return {
        "workers": workers,
        "documents_desk": None,
        "reintegration": None,
        "unavailable": [],
        "recruits_of": agreement.placement_agency,
        "smallest_count_shown": SMALL_CELL,
    }
