"""Data-sharing agreements, and the one filter every channel to an agency goes through.

An agency's agreement names the event types it receives, the published fields of each, the
purpose and the legal basis of the processing (UU 27/2022 on personal data protection, article
20), who approved it, and from when until when it holds. A placement company's agreement also
names the company as workers' ``placement_agency`` spells it: it receives events about its own
recruits only.

``disclose(envelope, agreement, ...)`` turns an internal event into what that agency may
receive, or None. The agency's queue, its webhooks and its HTTP reads all use it, so no channel
grants more than another. Plain Python: no broker, no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pmi_common import contract as c
from pmi_common.errors import InvalidInput

from .published import (
    ENVELOPE_FIELDS,
    published_actor,
    published_spec,
    scrub,
    sensitive_case,
)

# UU 27/2022 article 20(2): the lawful bases of processing personal data
LEGAL_BASES = {
    "consent": "explicit consent of the worker (art. 20(2)a)",
    "contract": "fulfilling an agreement the worker is party to (art. 20(2)b)",
    "legal_obligation": "a legal obligation of the controller (art. 20(2)c)",
    "vital_interest": "protecting the worker's vital interests (art. 20(2)d)",
    "public_task": "a task in the public interest or official authority (art. 20(2)e)",
    "legitimate_interest": "a legitimate interest, balanced against the worker's (art. 20(2)f)",
}


@dataclass(frozen=True)
class Agreement:
    agency: str
    fields: dict[str, tuple[str, ...]]  # event type -> the published fields granted
    purpose: str
    legal_basis: str
    approved_by: str
    valid_from: dt.datetime
    valid_until: dt.datetime | None = None
    placement_agency: str | None = None  # a placement company: only its own recruits
    version: int = 1

    @property
    def event_types(self) -> tuple[str, ...]:
        return tuple(self.fields)

    def in_force(self, now: dt.datetime) -> bool:
        return self.valid_from <= now and (self.valid_until is None or now < self.valid_until)

    def covers(self, worker_placement_agency: str | None) -> bool:
        """Whether a worker recruited by ``worker_placement_agency`` is in this agreement's
        scope (every worker, unless the agency is a placement company)."""
        if self.placement_agency is None:
            return True
        return _same_company(self.placement_agency, worker_placement_agency)

    def granted(self, event_type: str) -> tuple[str, ...]:
        return self.fields.get(event_type, ())


def _same_company(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


@dataclass
class Disclosure:
    """What one agency received about one worker."""

    agency: str
    worker_id: str
    channel: str  # amqp, http, webhook
    what: str  # the event type, or the HTTP route
    reference: str  # the event id, or the path read
    fields: list[str] = field(default_factory=list)


def disclose(
    envelope: dict,
    agreement: Agreement,
    *,
    now: dt.datetime,
    pseudonym_key: str,
    placement_agency_of: Callable[[str], str | None],
) -> dict | None:
    """The published event ``agreement`` grants of an internal ``envelope``, or None.

    Nothing when the agreement is not in force, does not grant the type, the event is about a
    sensitive protection case, or (a placement company) the event is about someone else's
    recruit; otherwise the published envelope with
    only the granted fields, free text scrubbed, staff pseudonymous, the correlation id the
    event's own id. ``placement_agency_of``
    names a worker's placement company; it is asked only for a placement company's agreement."""
    event_type = envelope.get("event_type") or ""
    granted = agreement.granted(event_type)
    if not granted or not agreement.in_force(now) or sensitive_case(envelope):
        return None
    worker_id = envelope.get("worker_id")
    if (
        agreement.placement_agency is not None
        and worker_id is not None
        and not agreement.covers(placement_agency_of(worker_id))
    ):
        return None
    spec = published_spec(event_type)
    if envelope.get("event_version") != spec.internal_version:
        return None  # an internal version the published contract does not map (yet)
    data = envelope.get("data") or {}
    published = {key: envelope.get(key) for key in ENVELOPE_FIELDS}
    published.update(
        event_version=spec.version,
        # the caller's request id stays inside the platform: an agency correlates by the event
        correlation_id=envelope.get("event_id"),
        actor=published_actor(envelope.get("actor"), pseudonym_key),
        data={name: scrub(data[name]) for name in granted if name in data},
    )
    return published


# building an agreement from what an operator typed ------------------------------------------


def parse_fields(
    event_types: tuple[str, ...],
    grants: list[str] | None,
    kept: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, tuple[str, ...]]:
    """Each event type with the fields granted: ``TYPE:f1,f2`` for the types named in
    ``grants``; a type not named keeps what ``kept`` (the agreement in force) grants of it.
    Nothing is granted unless named: a type with neither, unknown types or unknown fields are
    ``InvalidInput`` naming the fields each type could grant."""
    fields_of: dict[str, tuple[str, ...] | None] = {t: None for t in event_types}
    problems = []
    for grant in grants or ():
        event_type, sep, names = grant.partition(":")
        event_type = event_type.strip()
        if not sep or event_type not in fields_of:
            problems.append(f"{grant!r}: name one of the agreement's event types as TYPE:f1,f2")
            continue
        wanted = tuple(dict.fromkeys(n.strip() for n in names.split(",") if n.strip()))
        unknown = [n for n in wanted if n not in published_spec(event_type).fields]
        if unknown or not wanted:
            problems.append(
                f"{event_type}: {', '.join(unknown) or 'no fields'} not published; "
                f"choose from {grantable(event_type)}"
            )
            continue
        fields_of[event_type] = wanted
    for event_type, granted in fields_of.items():
        if granted is None and (kept or {}).get(event_type):
            fields_of[event_type] = tuple(kept[event_type])  # type: ignore[index]
    unnamed = [t for t, granted in fields_of.items() if granted is None]
    problems += [
        f"{t}: name the fields to grant as --fields {t}:f1,f2, from {grantable(t)}" for t in unnamed
    ]
    if problems:
        raise InvalidInput(
            "name the fields granted of each event type, from the published contract",
            {"fields": problems},
        )
    return {t: granted for t, granted in fields_of.items() if granted is not None}


def grantable(event_type: str) -> str:
    """The published fields of ``event_type``, the family's and health data said as such."""
    spec = published_spec(event_type)
    text = ", ".join(spec.fields)
    if spec.named_only:
        text += f" ({', '.join(spec.named_only)}: a family's personal or health data)"
    return text


def check_terms(
    purpose: str | None,
    legal_basis: str | None,
    approved_by: str | None,
    valid_from: dt.datetime,
    valid_until: dt.datetime | None,
) -> None:
    problems: dict[str, list[str]] = {}
    if not purpose or not purpose.strip():
        problems["purpose"] = ["say what the agency processes the data for"]
    if legal_basis not in LEGAL_BASES:
        problems["legal_basis"] = [f"one of {', '.join(LEGAL_BASES)} (UU 27/2022 art. 20)"]
    if not approved_by or not approved_by.strip():
        problems["approved_by"] = ["name who approved the agreement"]
    if valid_until is not None and valid_until <= valid_from:
        problems["valid_until"] = ["must come after valid_from"]
    if problems:
        raise InvalidInput("the agreement is incomplete", problems)


# what an agency reads over HTTP: the same grants, applied to the gateway's answers ------------

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
        if not granted:
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
