"""The published contract: what of each internal event an agency may ever be given.

Events between the platform's services (``contract``) carry what a service needs; the events
delivered to agencies are a second, versioned contract. For each event type it names the fields
an agency's agreement may grant (``PUBLISHED``) and, for every other field of the internal
payload, why it never leaves (``WITHHELD``): a field added to an internal event stays internal
until someone decides here. Published events carry:

- no NIK in any form: not the digest (a keyed hash anyone holding the key can reverse by trying
  the ~26,000 birth dates of a region) and not the masked NIK (region and sequence stay in it: with
  the birth date and sex an agency may know, the NIK is rebuilt). Agencies join events by
  ``worker_id``;
- free text scrubbed of anything shaped like a NIK (``nik_like``: 16 digits however grouped);
- staff as a pseudonym (``staff-`` and an HMAC of their login), never the login itself;
- a protection case's events (``CASE_EVENTS``) only where an agreement names their fields one
  by one, and never those of a sensitive case (violence, trafficking); a referral
  (``case_referred``) only to the agency it names, a sensitive case's too;
- a Go-TKI letter's events (``LETTER_EVENTS``) only where an agreement names their fields;
- only the fields an agreement names, type by type (onboarding grants nothing by default); a
  worker's family (name, phone, village, district), the heirs' names in ``worker_died`` and the
  cause of a death (health data) are marked as such (``NAMED_ONLY``) where the fields are chosen.

``disclose(envelope, agreement, ...)`` turns an internal event into what that agency may receive,
or None: the agency's queue, its webhooks and its HTTP reads all go through it (and the rules of
``domain``), so no channel grants more than another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from marshmallow import Schema

from pmi_common import contract as c
from pmi_common.errors import InvalidInput
from pmi_common.production import DEVELOPMENT_PSEUDONYM_KEY, is_development, pseudonym_key_problem

from .domain import (
    CASE_EVENTS,
    ENVELOPE_FIELDS,
    Agreement,
    published_actor,
    referred_elsewhere,
    scrub,
    sensitive_case,
)

PUBLISHED_CONTRACT_VERSION = 1


@dataclass(frozen=True)
class PublishedSpec:
    """One event type as agencies receive it: its published version and grantable fields."""

    event_type: str
    version: int
    internal_version: int
    fields: tuple[str, ...]
    named_only: tuple[str, ...] = ()  # a family's personal or health data: said when chosen

    @property
    def internal(self) -> c.EventSpec:
        return c.spec_for(self.event_type, self.internal_version)

    def schema(self, granted: tuple[str, ...] | None = None) -> Schema:
        """The internal schema restricted to the published (or granted) fields."""
        return self.internal.schema(only=granted or self.fields)


_NIK = "a form of the NIK: with birth date and sex it gives the NIK back"
_SCAN = "a digest of the worker's scanned document"
_NUMBER = "a document number, partly masked: agencies verify documents with the worker"

_STAFF = "a member of staff's login: agencies see staff only as pseudonyms, in the actor"
WITHHELD: dict[str, dict[str, str]] = {
    c.WORKER_REGISTERED: {"nik_masked": _NIK, "nik_digest": _NIK},
    c.DOCUMENT_SUBMITTED: {"number_masked": _NUMBER, "file_sha256": _SCAN},
    c.CASE_ASSIGNED: {"assigned_to": _STAFF, "previously_assigned_to": _STAFF},
}

_FAMILY = "a family member's personal data, given only to an agreement naming it field by field"
_FAMILY_PERSONAL = ("full_name", "phone", "village", "district")
_CAUSE = "the cause of a death is health data, given only to an agreement naming it"
_CASE = (
    "a protection case is withheld from agencies by default: only an agreement naming its "
    "fields one by one receives them, and never a sensitive case's (``sensitive_case``)"
)

_LETTER = (
    "a Go-TKI letter is withheld from agencies by default: only an agreement naming its fields "
    "one by one (immigration, the police, checking letters without the paper) receives them"
)
LETTER_EVENTS = (c.LETTER_REQUESTED, c.LETTER_ACKNOWLEDGED, c.LETTER_ISSUED, c.LETTER_REVOKED)
NAMED_ONLY: dict[str, dict[str, str]] = {
    c.FAMILY_MEMBER_ADDED: dict.fromkeys(_FAMILY_PERSONAL, _FAMILY),
    c.FAMILY_MEMBER_CHANGED: dict.fromkeys(_FAMILY_PERSONAL, _FAMILY),
    c.WORKER_DIED: {"heir_names": _FAMILY, "cause": _CAUSE},
    c.NON_PROCEDURAL_WORKER_RECORDED: {
        "family_account": "the family's own words about the worker abroad, given only to an "
        "agreement naming it"
    },
}

NAMED_ONLY.update(
    {
        event_type: dict.fromkeys(
            (
                name
                for name in c.spec_for(event_type).schema().fields
                if name not in WITHHELD.get(event_type, {})
            ),
            _CASE,
        )
        for event_type in CASE_EVENTS
    }
)
NAMED_ONLY.update(
    {
        event_type: dict.fromkeys(c.spec_for(event_type).schema().fields, _LETTER)
        for event_type in LETTER_EVENTS
    }
)


# every event of the contract but the platform's own running (``c.INTERNAL_ONLY``: what its
# messages cost), which no agreement can grant
_CATALOGUE: tuple[tuple[str, int, int], ...] = tuple(
    (spec.event_type, 1, spec.version)
    for spec in c.CONTRACT
    if spec.event_type not in c.INTERNAL_ONLY
)


def _published_fields(spec: c.EventSpec) -> tuple[str, ...]:
    withheld = WITHHELD.get(spec.event_type, {})
    return tuple(name for name in spec.schema().fields if name not in withheld)


PUBLISHED: dict[str, PublishedSpec] = {
    event_type: PublishedSpec(
        event_type,
        version,
        internal_version,
        _published_fields(c.spec_for(event_type, internal_version)),
        tuple(NAMED_ONLY.get(event_type, ())),
    )
    for event_type, version, internal_version in _CATALOGUE
}


def published_spec(event_type: str) -> PublishedSpec:
    try:
        return PUBLISHED[event_type]
    except KeyError:
        raise c.UnknownEvent(f"{event_type!r} is not in the published contract") from None


def pseudonym_key(config: dict) -> str:
    """``PSEUDONYM_KEY`` from a process's config: a secret of its own (never derived from, nor
    equal to, ``JWT_SECRET``: rotating the token secret would change every pseudonym, and whoever
    holds it could reverse them). The development key in development only; outside it, nothing
    weak is accepted (``production.pseudonym_key_problem``)."""
    key = config.get("PSEUDONYM_KEY") or ""
    if is_development(config):
        return key or DEVELOPMENT_PSEUDONYM_KEY
    problem = pseudonym_key_problem(config)
    if problem:
        raise ValueError(f"{problem}: set a random secret of 32+ characters (`make secrets`)")
    return key


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
