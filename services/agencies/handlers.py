"""What the agencies service does with an internal event: keep who recruited each worker, and queue
the published form each agency's agreement grants for delivery, to its queue and to each of its
webhook endpoints that wants the type (in the same transaction as the event's inbox record, so an
event is fanned out once, and nothing is lost between the two). Both channels carry the one
result of ``disclose``: no channel grants more than another. What is kept goes through the
service's repository (``uow.repository``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace

from pmi_common import contract as c
from pmi_common.agreement import Agreement
from pmi_common.errors import InvalidInput, NotFound
from pmi_common.history import event_types_of, parse_since

from .domain import (
    PENDING,
    UNSET,
    AgencySettings,
    Endpoint,
    changed_terms,
    check_contact_email,
    check_queue_format,
)
from .published import disclose
from .repository import AgenciesRepository

AskRecruiter = Callable[[str], str | None]  # registration's answer for a worker unknown here


class Recruiters:
    """Who recruited each worker: from ``worker_registered``; a worker registered before the
    agencies service ran is asked of the registration service once, then kept.

    ``batched``: what ``remember`` learns is kept here (``of`` answers from it first, so events
    are judged as if each were written at once) and written by ``flush`` in one statement: a page
    of history is one round trip, not one per registration."""

    def __init__(self, repository: AgenciesRepository, ask: AskRecruiter, batched: bool = False):
        self.repository = repository
        self.ask = ask
        self.batched = batched
        self.pending: dict[str, str] = {}

    def remember(self, envelope: dict) -> None:
        if envelope["event_type"] != c.WORKER_REGISTERED:
            return
        company = envelope["data"]["placement_agency"]
        if self.batched:
            self.pending[envelope["worker_id"]] = company
        else:
            self.repository.keep_recruiter(envelope["worker_id"], company)

    def flush(self) -> None:
        """Write what ``remember`` kept (the latest company of each worker), one statement."""
        if self.pending:
            self.repository.keep_recruiters(self.pending)
            self.pending.clear()

    def of(self, worker_id: str) -> str | None:
        if worker_id in self.pending:
            return self.pending[worker_id]
        company = self.repository.recruiter_of(worker_id)
        if company is None:
            company = self.ask(worker_id)
            if company is not None:
                self.repository.learn_recruiter(worker_id, company)
        return company


def fan_out(
    repository: AgenciesRepository,
    envelope: dict,
    agreements: list[Agreement],
    recruiters: Recruiters,
    pseudonym_key: str,
    now: dt.datetime,
    endpoints: Mapping[str, list[Endpoint]] | None = None,
    to_queues: bool = True,
) -> list[str]:
    """Queue ``envelope``'s published form for each agency granted it: to its queue (unless
    ``to_queues`` is false: a backfill of webhooks only) and to its ``endpoints`` that want the
    type; the agencies it was queued for."""
    rows, hooks = deliveries(
        envelope, agreements, recruiters, pseudonym_key, now, endpoints, to_queues
    )
    repository.queue(rows if to_queues else [], hooks)
    return [row["agency"] for row in rows]


def fan_out_page(
    repository: AgenciesRepository,
    envelopes: list[dict],
    agreements: list[Agreement],
    recruiters: Recruiters,
    pseudonym_key: str,
    now: dt.datetime,
    endpoints: Mapping[str, list[Endpoint]] | None = None,
    to_queues: bool = True,
) -> int:
    """``fan_out`` of a page of history, in its order, with one statement per table for the
    whole page (``recruiters`` batched); how many deliveries were queued (as ``fan_out`` counts
    them)."""
    rows, hooks = [], []
    for envelope in envelopes:
        more, more_hooks = deliveries(
            envelope, agreements, recruiters, pseudonym_key, now, endpoints, to_queues
        )
        rows += more
        hooks += more_hooks
    if recruiters.batched:
        recruiters.flush()
    repository.queue(rows if to_queues else [], hooks)
    return len(rows)


def deliveries(
    envelope: dict,
    agreements: list[Agreement],
    recruiters: Recruiters,
    pseudonym_key: str,
    now: dt.datetime,
    endpoints: Mapping[str, list[Endpoint]] | None = None,
    to_queues: bool = True,
) -> tuple[list[dict], list[dict]]:
    """The rows ``fan_out`` queues for ``envelope``: to agencies' queues (also kept, not queued,
    when not ``to_queues`` but a webhook wants it: they count what was sent) and to webhooks."""
    recruiters.remember(envelope)
    rows, hooks = [], []
    for agreement in agreements:
        published = disclose(
            envelope,
            agreement,
            now=now,
            pseudonym_key=pseudonym_key,
            placement_agency_of=recruiters.of,
        )
        if published is None:
            continue
        row = {
            "agency": agreement.agency,
            "worker_id": envelope.get("worker_id"),
            "event_id": envelope["event_id"],
            "event_type": envelope["event_type"],
            "envelope": published,
            "created_at": now,
        }
        wanting = [
            e for e in (endpoints or {}).get(agreement.agency, ()) if e.wants(row["event_type"])
        ]
        hooks += [
            {
                **row,
                "endpoint_id": e.id,
                "order_key": row["worker_id"] or row["event_id"],
                "occurred_at": dt.datetime.fromisoformat(envelope["occurred_at"]),
                "sequence": envelope.get("sequence") or 0,
                "state": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
            }
            for e in wanting
        ]
        if to_queues or wanting:
            rows.append(row)
    return rows, hooks


class Cached:
    """What ``read`` answers, read again at most every ``ttl`` seconds (a change made with
    ``pmi agency`` applies within that time)."""

    def __init__(
        self, read: Callable[[], object], ttl: float = 2.0, clock: Callable[[], float] | None = None
    ):
        import time

        self.read = read
        self.ttl = ttl
        self.clock = clock or time.monotonic
        self._read_at: float | None = None
        self._value = None

    def refresh(self) -> None:
        self._read_at = None

    def current(self):
        now = self.clock()
        if self._read_at is None or now - self._read_at >= self.ttl:
            self._value = self.read()
            self._read_at = now
        return self._value


def history_asked(
    agreement: Agreement | None,
    agency: str,
    event_types,
    since: str,
    now: dt.datetime,
    endpoint: Endpoint | None = None,
) -> tuple[Agreement, dict[str, list[str]]]:
    """The agreement a backfill goes through and the event types to ask of each service;
    ``NotFound`` without an agreement in force, ``InvalidInput`` for types it does not grant
    (or, to one webhook ``endpoint``, types the endpoint does not take, or it is disabled)."""
    types = event_types_of(event_types, field_name="event_types")
    parse_since(since)
    if agreement is None or not agreement.in_force(now):
        raise NotFound(f"agency {agency} has no agreement in force")
    granted = agreement.event_types
    if endpoint is not None:
        if not endpoint.enabled:
            raise InvalidInput(
                "the endpoint is disabled",
                {"endpoint_id": ["enable it first: `pmi agency webhook enable`"]},
            )
        granted = tuple(t for t in endpoint.event_types if t in granted)
    refused = sorted(set(types) - set(granted))
    if refused:
        raise InvalidInput(
            "the agreement does not grant these events",
            {"event_types": [f"not granted: {', '.join(refused)}"]},
        )
    by_source: dict[str, list[str]] = {}
    for event_type in types:
        by_source.setdefault(c.spec_for(event_type).source, []).append(event_type)
    return agreement, by_source


# agreements -----------------------------------------------------------------------------------


def put_agreement(
    repository: AgenciesRepository, agreement: Agreement, changed_by: str, now: dt.datetime
) -> Agreement:
    """Create or change an agency's agreement, the change recorded with who and when (the terms
    it changes, each before and after); an unchanged agreement records nothing."""
    current = repository.agreement_of(agreement.agency, lock=True)
    changes = changed_terms(current, agreement)
    if current is not None and not changes:
        return current
    repository.keep_agreement(
        replace(agreement, version=current.version + 1 if current is not None else 1),
        changed_by=changed_by,
        now=now,
        action="created" if current is None else "changed",
        changes=changes,
    )
    return _kept(repository, agreement.agency)


def end_agreement(
    repository: AgenciesRepository, agency: str, changed_by: str, now: dt.datetime
) -> Agreement:
    """End an agreement now (offboarding): it stays on record, no longer in force."""
    current = repository.agreement_of(agency, lock=True)
    if current is None:
        raise NotFound(f"agency {agency} has no agreement")
    repository.keep_agreement(
        replace(current, valid_until=now, version=current.version + 1),
        changed_by=changed_by,
        now=now,
        action="ended",
        changes=changed_terms(current, replace(current, valid_until=now)),
    )
    return _kept(repository, agency)


def _kept(repository: AgenciesRepository, agency: str) -> Agreement:
    kept = repository.agreement_of(agency)
    assert kept is not None  # kept in this transaction
    return kept


# agencies' settings ---------------------------------------------------------------------------


def change_settings(
    repository: AgenciesRepository,
    agency: str,
    changed_by: str,
    now: dt.datetime,
    queue_format=UNSET,
    contact_email=UNSET,
) -> AgencySettings:
    """Change what is given of an agency's settings (checked first: bad input changes
    nothing)."""
    current = repository.settings_of(agency)
    changed = AgencySettings(
        agency,
        current.queue_format if queue_format is UNSET else check_queue_format(queue_format),
        current.contact_email if contact_email is UNSET else check_contact_email(contact_email),
    )
    repository.keep_settings(changed, changed_by, now)
    return changed
