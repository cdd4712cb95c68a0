"""The published contract: what of each internal event, and of the platform's answers about a
worker, an agency may ever be given; and the agreement that grants it, as both sides of the
boundary read it.

Events between the platform's services (``contract``) carry what a service needs; what agencies
receive is a second, versioned contract. For each event type it names the fields an agency's
agreement may grant (``PUBLISHED``) and, for every other field of the internal payload, why it
never leaves (``WITHHELD``): a field added to an internal event stays internal until someone
decides here. What leaves carries no NIK in any form, free text scrubbed of anything shaped like
a NIK (``scrub``), staff as pseudonyms (``published_actor``), a protection case's and a Go-TKI
letter's events only where an agreement names their fields one by one (``NAMED_ONLY``).

Two processes apply it, and only these rules are shared between them (as ``contract`` is shared
by every service): the agencies service, to the events it queues and posts to agencies
(``services.agencies.published.disclose``); the gateway, to its HTTP answers to an agency's token
(``gateway.agreements``), with an agreement it reads from the agencies database through a
read-only role (``agreement.agreement_from_row``) and the disclosures it sends to the agencies
service to record (``agreement.Disclosure``). Nothing here reads a database, the broker or a
process's state.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from marshmallow import Schema

from pmi_common import contract as c
from pmi_common import nik_like
from pmi_common.agreement import CASE_EVENTS
from pmi_common.production import (
    DEVELOPMENT_PSEUDONYM_KEY,
    pseudonym_key_problem,
    secret_setting,
)

# The published events --------------------------------------------------------------------------

PUBLISHED_CONTRACT_VERSION = 1


@dataclass(frozen=True)
class PublishedSpec:
    """One event type as agencies receive it: its published version and grantable fields."""

    event_type: str
    version: int
    # the internal versions it is made from, the oldest first: the history holds every one
    internal_versions: tuple[int, ...]
    fields: tuple[str, ...]
    named_only: tuple[str, ...] = ()  # a family's personal or health data: said when chosen

    @property
    def internal(self) -> c.EventSpec:
        """The internal version the services publish today, this version's fields among its
        own."""
        return c.spec_for(self.event_type, self.internal_versions[-1])

    def made_from(self, internal_version: int) -> bool:
        return internal_version in self.internal_versions

    def schema(self, granted: tuple[str, ...] | None = None) -> Schema:
        """The internal schema restricted to the published (or granted) fields."""
        return self.internal.schema(only=granted or self.fields)


_NIK = "a form of the NIK: with birth date and sex it gives the NIK back"
_SCAN = "a digest of the worker's scanned document"
_NUMBER = "a document number, partly masked: agencies verify documents with the worker"

_STAFF = "a member of staff's login: agencies see staff only as pseudonyms, in the actor"
_BIRTH_YEAR = (
    "the birth year, for the planning office's age bands: two of the NIK's digits, and with the "
    "sex and the village it narrows the workers down to one or two people"
)
_VILLAGE = (
    "the village code, for the planning office's figures: a village sends a few workers a "
    "year, so with the sex and the birth year it names a person; agencies may have the regency"
)
WITHHELD: dict[str, dict[str, str]] = {
    c.WORKER_REGISTERED: {
        "nik_masked": _NIK,
        "nik_digest": _NIK,
        "birth_year": _BIRTH_YEAR,
        "village_code": _VILLAGE,
    },
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


# every event type of the contract but the platform's own running (``c.INTERNAL_ONLY``: what
# its messages cost), which no agreement can grant: each at published version 1, made from every
# internal version of the type. A new internal version adds fields, withheld above until someone
# decides here to publish them (a published version 2, from the internal versions that have them).
_CATALOGUE: tuple[tuple[str, int, tuple[int, ...]], ...] = tuple(
    (event_type, 1, tuple(spec.version for spec in c.versions_of(event_type)))
    for event_type in dict.fromkeys(spec.event_type for spec in c.CONTRACT)
    if event_type not in c.INTERNAL_ONLY
)


def _published_fields(event_type: str, internal_versions: tuple[int, ...]) -> tuple[str, ...]:
    """The fields of the newest of ``internal_versions`` not withheld: each of them carried by
    every one of ``internal_versions`` (an event from the history is published whole)."""
    withheld = WITHHELD.get(event_type, {})
    newest = c.spec_for(event_type, internal_versions[-1]).schema().fields
    published = tuple(name for name in newest if name not in withheld)
    for version in internal_versions:
        missing = set(published) - set(c.spec_for(event_type, version).schema().fields)
        if missing:
            raise ValueError(
                f"{event_type} version {version} lacks published {sorted(missing)}: withhold "
                "them, or publish a new version from the internal versions that carry them"
            )
    return published


PUBLISHED: dict[str, PublishedSpec] = {
    event_type: PublishedSpec(
        event_type,
        version,
        internal_versions,
        _published_fields(event_type, internal_versions),
        tuple(NAMED_ONLY.get(event_type, ())),
    )
    for event_type, version, internal_versions in _CATALOGUE
}


def published_spec(event_type: str) -> PublishedSpec:
    try:
        return PUBLISHED[event_type]
    except KeyError:
        raise c.UnknownEvent(f"{event_type!r} is not in the published contract") from None


# What leaves, whatever the channel -----------------------------------------------------------

SCRUBBED = "[nomor dihapus]"  # "number removed": what replaces a NIK-like number in free text
PSEUDONYM_PREFIX = "staff-"


def scrub(value):
    """Any NIK-like number in text (or in the strings of a list or object) replaced."""
    if isinstance(value, str):
        return nik_like.replace(value, lambda _digits: SCRUBBED)
    if isinstance(value, list):
        return [scrub(item) for item in value]
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    return value


def pseudonym(subject: str, key: str) -> str:
    """A stable pseudonymous id of a member of staff: the same login, the same id, and without
    the key nobody goes back from the id to the login."""
    digest = hmac.new(key.encode(), subject.encode(), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:20]


def published_actor(actor: dict | None, key: str) -> dict | None:
    """Who caused an event, as agencies see it: the role, the person as a pseudonym, and the
    agency when an agency acted. A worker acting on their own record is that worker
    (``worker_id``). Staff's ``agency`` (their acting office, kept in the platform's own
    timelines) comes from whatever their token claims, so it is never passed on."""
    if not actor:
        return None
    subject = actor.get("subject")
    return {
        "role": actor.get("role"),
        "agency": actor.get("agency") if actor.get("role") == "agency" else None,
        "subject": pseudonym(subject, key)
        if subject and actor.get("role") != "worker"
        else subject,
    }


def pseudonym_key(config: dict) -> str:
    """``PSEUDONYM_KEY`` from a process's config: a secret of its own (never derived from, nor
    equal to, ``JWT_SECRET``: rotating the token secret would change every pseudonym, and whoever
    holds it could reverse them). The development key in development only; outside it, nothing
    weak is accepted (``production.pseudonym_key_problem``)."""
    return secret_setting(config, "PSEUDONYM_KEY", DEVELOPMENT_PSEUDONYM_KEY, pseudonym_key_problem)
