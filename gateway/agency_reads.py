"""What an ``agency`` token may read over HTTP: what its agency's agreement covers, and each read
recorded.

An agency whose agreement is missing, not yet or no longer in force gets 403 on every route. On
the routes that answer about workers (``SHAPED``) it reads the workers its agreement covers (a
placement company: its own recruits; another worker is 404, as if unknown) with the fields its
agreement grants: the same grants as its events (``pmi_common.published``, the contract the
agencies service applies to them), mapped here onto the gateway's own answers; and every worker
it is answered about is recorded in the disclosure record (by the agencies service, over RPC)
before the answer leaves. Every other personal route is closed to agencies by the role table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pmi_common import contract as c
from pmi_common.agreement import CASE_EVENTS, Agreement, Disclosure
from pmi_common.errors import Forbidden, NotFound
from pmi_common.published import published_actor, scrub

HTTP = "http"
SMALL_CELL = 5  # a count below this could single a worker out: it is not given to agencies

# the grants, applied to the gateway's answers --------------------------------------------------

# A field of the worker's record -> (event type, published field) whose grant lets an agency read
# it: the record says no more than the events the agency may receive. ``id`` is always given;
# the NIK, birth date, phone, street address and BPJS number never are.
WORKER_RECORD_GRANTS: dict[str, tuple[str, str]] = {
    "full_name": (c.WORKER_REGISTERED, "full_name"),
    "sex": (c.WORKER_REGISTERED, "sex"),
    "destination_country": (c.WORKER_REGISTERED, "destination_country"),
    "occupation": (c.WORKER_REGISTERED, "occupation"),
    "placement_agency": (c.WORKER_REGISTERED, "placement_agency"),
    "cycle": (c.WORKER_REGISTERED, "cycle"),
    "status": (c.WORKER_STATUS_CHANGED, "to_status"),
    "stage": (c.WORKER_STATUS_CHANGED, "stage"),
    "departed_on": (c.WORKER_DEPARTED, "departed_on"),
    "employer": (c.WORKER_DEPARTED, "employer"),
    "returned_on": (c.WORKER_RETURNED, "returned_on"),
    "return_reason": (c.WORKER_RETURNED, "reason"),
    "documents_complete": (c.DOCUMENTS_COMPLETED, "document_ids"),
    "orientation_completed": (c.ORIENTATION_COMPLETED, "completed_at"),
    "contract_starts_on": (c.CONTRACT_RECORDED, "starts_on"),
    "contract_ends_on": (c.CONTRACT_RECORDED, "ends_on"),
    "sector": (c.CONTRACT_RECORDED, "sector"),
    "expected_return_on": (c.CONTRACT_RECORDED, "expected_return_on"),
    "died_on": (c.WORKER_DIED, "died_on"),
    "death_country": (c.WORKER_DIED, "country"),
    "death_cause": (c.WORKER_DIED, "cause"),
    "remains_repatriated": (c.WORKER_DIED, "remains_repatriated"),
    "remains_arrive_on": (c.WORKER_DIED, "remains_arrive_on"),
    "heirs": (c.WORKER_DIED, "heirs"),
    "non_procedural": (c.NON_PROCEDURAL_WORKER_RECORDED, "source"),
}
REGENCY_GRANT = (c.WORKER_REGISTERED, "regency")  # the address's regency (and nothing else)
TIMELINE_STATUS_FIELDS = ("from_status", "to_status", "stage", "reason")
# Filtering a list by a field tells what that field holds: an agency may filter only by what it
# may read.
LIST_FILTER_GRANTS: dict[str, tuple[str, str]] = {
    "regency": REGENCY_GRANT,
    "destination_country": WORKER_RECORD_GRANTS["destination_country"],
    "status": WORKER_RECORD_GRANTS["status"],
    "stage": WORKER_RECORD_GRANTS["stage"],
}


def filters_not_granted(query: dict, agreement: Agreement) -> list[str]:
    """The list filters in ``query`` on fields ``agreement`` does not let its agency read."""
    return sorted(
        name
        for name, (event_type, field_name) in LIST_FILTER_GRANTS.items()
        if query.get(name) and field_name not in agreement.granted(event_type)
    )


def worker_record_for(record: dict, agreement: Agreement) -> tuple[dict, list[str]] | None:
    """A worker's record as ``agreement`` lets its agency read it, and the fields given; None
    when the worker is not the agency's to see (another company's recruit)."""
    if not agreement.covers(record.get("placement_agency")):
        return None
    shown = {"id": record["id"]}
    for name, (event_type, field_name) in WORKER_RECORD_GRANTS.items():
        if record.get(name) is not None and field_name in agreement.granted(event_type):
            shown[name] = scrub(record[name])
    if REGENCY_GRANT[1] in agreement.granted(REGENCY_GRANT[0]) and record.get("address"):
        shown["address"] = {"regency": record["address"].get("regency")}
    return shown, sorted(set(shown) - {"id"})


def timeline_for(
    entries: list[dict], agreement: Agreement, pseudonym_key: str
) -> tuple[list[dict], list[str]]:
    """The entries of a worker's timeline whose event types ``agreement`` grants, each with only
    the granted fields; and the fields given."""
    shown, given = [], set()
    for entry in entries:
        granted = agreement.granted(entry.get("event_type") or "")
        if not granted or _sensitive_case_entry(entry):
            continue
        kept: dict[str, Any] = {
            key: entry.get(key) for key in ("occurred_at", "event_type", "source", "event_id")
        }
        kept["actor"] = published_actor(entry.get("actor"), pseudonym_key)
        for name in TIMELINE_STATUS_FIELDS:
            if name in granted:
                kept[name] = scrub(entry.get(name))
        kept["details"] = {
            k: scrub(v) for k, v in (entry.get("details") or {}).items() if k in granted
        }
        given |= {name for name in kept if kept[name] is not None} | set(kept["details"])
        shown.append(kept)
    return shown, sorted(
        given - {"occurred_at", "event_type", "source", "event_id", "actor", "details"}
    )


def _sensitive_case_entry(entry: dict) -> bool:
    """A timeline entry of a sensitive protection case (``sensitive_case`` for the timeline):
    registration notes it as only a protected case, and no agency reads even that."""
    return (
        entry.get("event_type") in CASE_EVENTS
        and (entry.get("details") or {}).get("sensitive") is not False
    )


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


ANSWER_RECEIVED = "answer_case"  # the route an agency answers a case referred to it by


def answer_received(agency: str, worker_id: str, path: str, answer: dict) -> Disclosure:
    """What the platform received from an agency (its answer on a case referred to it): kept in
    the disclosure record beside what it sent, ``what`` the route, the fields it gave."""
    return Disclosure(
        agency=agency,
        worker_id=worker_id,
        channel="http",
        what=ANSWER_RECEIVED,
        reference=path,
        fields=sorted(name for name in ("status", "note") if answer.get(name) is not None),
    )
