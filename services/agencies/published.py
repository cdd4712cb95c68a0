"""The published contract applied: ``disclose`` turns an internal event into what one agency may
receive, and ``parse_fields`` builds an agreement's grants from what an operator typed.

The contract itself (which fields of each event type an agreement may grant, which never leave,
the agreement, the scrubber and the staff pseudonyms) is ``pmi_common.published``: the gateway
applies the same rules to its HTTP answers. The agency's queue, its webhooks and the backfill all
go through ``disclose`` (and the rules of ``domain``), so no channel grants more than another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pmi_common.agreement import Agreement
from pmi_common.errors import InvalidInput
from pmi_common.published import published_actor, published_spec, scrub

from .domain import ENVELOPE_FIELDS, referred_elsewhere, sensitive_case

# the one filter every channel to an agency goes through -------------------------------


def disclose(
    envelope: dict,
    agreement: Agreement,
    *,
    now: dt.datetime,
    pseudonym_key: str,
    placement_agency_of: Callable[[str], str | None],
) -> dict | None:
    """The published event ``agreement`` grants of an internal ``envelope``, or None.

    Nothing when the agreement is not in force, does not grant the type, the event is a
    referral to another agency (``case_referred`` goes to the one agency it names), the event is
    about a sensitive protection case (but its referral, to the agency referred to), or (a
    placement company) the event is about someone else's
    recruit; otherwise the published envelope with
    only the granted fields, free text scrubbed, staff pseudonymous, the correlation id the
    event's own id. ``placement_agency_of``
    names a worker's placement company; it is asked only for a placement company's agreement."""
    event_type = envelope.get("event_type") or ""
    granted = agreement.granted(event_type)
    if not granted or not agreement.in_force(now):
        return None
    if sensitive_case(envelope, agreement.agency) or referred_elsewhere(envelope, agreement.agency):
        return None
    worker_id = envelope.get("worker_id")
    if (
        agreement.placement_agency is not None
        and worker_id is not None
        and not agreement.covers(placement_agency_of(worker_id))
    ):
        return None
    spec = published_spec(event_type)
    if not spec.made_from(envelope.get("event_version") or 0):
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
