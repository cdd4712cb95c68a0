"""A worker's document checklist (UU 18/2017 article 13) and the desk's rules, as plain Python.

The checklist holds, for each required type, the worker's latest submission of the current
registration cycle. It is complete when every one of them is verified and none has passed its
expiry date. Dates are judged on the district's day (``Clock.today()``: WIB, Asia/Jakarta, by
default), where the service centres work, so a document issued this morning in Blitar is not "in
the future".

``Worker`` and ``Document`` are the state the service keeps: the repository stores these objects
as they are, so a rule changes them and nothing copies them to rows and back.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pmi_common.errors import AlreadyDecided, Forbidden, TransitionRefused
from pmi_common.lifecycle import DEPARTED, PRE_DEPARTURE, RegistrationWord
from pmi_common.names import DOCUMENT_TYPES, RENEWABLE_ABROAD
from pmi_common.scans import (  # noqa: F401 - the documents desk's words for them
    MAX_FILE_BYTES,
    SIGNATURES,
    BadFile,
    ScannedFile,
    read_scan,
    sniff_media_type,
)

REQUIRED_TYPES = DOCUMENT_TYPES  # in the brief's order
EXPIRY_REQUIRED = frozenset({"passport", "work_visa", "health_certificate"})

MISSING = "missing"
SUBMITTED = "submitted"
VERIFIED = "verified"
REJECTED = "rejected"
EXPIRED = "expired"

DECIDING_ROLES = frozenset({"verifier", "admin"})
# Documents are gathered before departure; a withdrawn, returned or deceased worker submits no
# more. Abroad, a passport or work visa is renewed (at the embassy or consulate) and goes through
# the desk as before departure: a scan, a second person's decision.
ACCEPTING_STATUSES = frozenset(PRE_DEPARTURE)
ABROAD_STATUSES = frozenset({DEPARTED})
RENEWED_ABROAD = frozenset(RENEWABLE_ABROAD)
# A verified passport or work visa due to lapse is announced this many days before, once per
# document and warning (``document_expiring``), to a worker before departure or abroad.
EXPIRY_WARNINGS = (60, 30)
WARNED_STATUSES = frozenset(PRE_DEPARTURE) | ABROAD_STATUSES
# The desk's decision times are reported over this window.
DECISION_WINDOW = dt.timedelta(days=30)

# the stored state ---------------------------------------------------------------------------


@dataclass(kw_only=True, eq=False)
class Worker(RegistrationWord):
    """A worker as this service knows them: registration's word (cycle, status, as of
    ``sequence``) and whether the current cycle's checklist is complete."""

    id: str
    documents_complete: bool = False
    known_since: dt.datetime
    updated_at: dt.datetime

    # one worker, whatever registration last said of them
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def settle(self, current: Iterable[Document], today: dt.date) -> tuple[bool, bool]:
        """(complete now, complete before) after a change to the worker's checklist."""
        was_complete = self.documents_complete
        self.documents_complete = is_complete(current, today)
        return self.documents_complete, was_complete


@dataclass(kw_only=True, eq=False)
class Document:
    """One submission and what became of it. It is ``in_checklist`` while it is the worker's
    latest of its type in the current cycle, and ``awaiting_decision`` while it sits in the
    desk's queue."""

    id: str
    worker_id: str
    cycle: int
    document_type: str
    number: str
    issued_on: dt.date
    expires_on: dt.date | None = None
    status: str = SUBMITTED
    reason: str | None = None
    note: str | None = None
    in_checklist: bool = True
    awaiting_decision: bool = True
    submitted_at: dt.datetime
    # who submitted it (the desk, or the worker's own app): never the one who decides on it
    submitted_by: str | None = None
    decided_at: dt.datetime | None = None
    decided_by: str | None = None
    decision_seconds: float | None = None
    expired_at: dt.datetime | None = None
    # the last lapse warning announced (``document_expiring``: 60, then 30 days before)
    expiry_warned_days: int | None = None
    file_sha256: str | None = None
    replaces: str | None = None
    replaced_by: str | None = None

    def submission(self) -> dict:
        """What the submitter gave: compared with a new submission by ``is_repeat``."""
        return {
            "number": self.number,
            "issued_on": self.issued_on,
            "expires_on": self.expires_on,
            "file_sha256": self.file_sha256,
        }

    def replace_with(self, successor: Document) -> None:
        """A newer submission of the same type takes this one's place in the checklist."""
        self.in_checklist = self.awaiting_decision = False
        self.replaced_by = successor.id

    def decide(
        self,
        status: str,
        by: str | None,
        now: dt.datetime,
        note: str | None,
        reason: str | None = None,
    ) -> None:
        self.status, self.reason, self.note = status, reason, note
        self.awaiting_decision = False
        self.decided_at = now
        self.decided_by = by
        self.decision_seconds = (now - self.submitted_at).total_seconds()

    def expire(self, now: dt.datetime) -> None:
        self.status, self.expired_at = EXPIRED, now


def who(actor: Mapping | None) -> str | None:
    """Who acted, as the desk's records name them: the token's subject."""
    return (actor.get("subject") or actor.get("role")) if actor else None


# the checklist -----------------------------------------------------------------------------


def has_lapsed(expires_on: dt.date | None, today: dt.date) -> bool:
    """A document is valid through its expiry date and lapses the day after."""
    return expires_on is not None and expires_on < today


def slot_status(document: Document | None, today: dt.date) -> str:
    if document is None:
        return MISSING
    if document.status == VERIFIED and has_lapsed(document.expires_on, today):
        return EXPIRED
    return document.status


def checklist(current: Iterable[Document], today: dt.date) -> list[tuple[str, str]]:
    """(type, status) for every required type, in order."""
    by_type = {document.document_type: document for document in current}
    return [(kind, slot_status(by_type.get(kind), today)) for kind in REQUIRED_TYPES]


def is_complete(current: Iterable[Document], today: dt.date) -> bool:
    return all(status == VERIFIED for _kind, status in checklist(current, today))


def earliest_expiry(current: Iterable[Document]) -> dt.date | None:
    dates = [d.expires_on for d in current if d.expires_on is not None]
    return min(dates) if dates else None


# submissions -------------------------------------------------------------------------------


def date_problems(
    document_type: str, issued_on: dt.date | None, expires_on: dt.date | None, today: dt.date
) -> dict[str, list[str]]:
    """Every reason these dates make no sense for a submission today; empty when they do."""
    problems: dict[str, list[str]] = {}
    if issued_on is not None and issued_on > today:
        problems["issued_on"] = [f"must not be in the future (today is {today.isoformat()})"]
    if expires_on is None:
        if document_type in EXPIRY_REQUIRED:
            problems["expires_on"] = [f"is required for a {document_type}"]
        return problems
    reasons = []
    if issued_on is not None and expires_on <= issued_on:
        reasons.append(f"must be after issued_on ({issued_on.isoformat()})")
    if has_lapsed(expires_on, today):
        reasons.append(f"the document has already expired (on {expires_on.isoformat()})")
    if reasons:
        problems["expires_on"] = reasons
    return problems


def accepts(worker_status: str | None, document_type: str) -> bool:
    """Whether a worker in ``worker_status`` may have a document of this type submitted and
    decided: every type before departure, a passport or work visa abroad."""
    if worker_status in ACCEPTING_STATUSES:
        return True
    return worker_status in ABROAD_STATUSES and document_type in RENEWED_ABROAD


def ensure_accepts_documents(worker_status: str | None, document_type: str) -> None:
    if accepts(worker_status, document_type):
        return
    if worker_status in ABROAD_STATUSES:
        raise TransitionRefused(
            f"a worker abroad renews only a passport or a work visa, not a {document_type}; "
            "the other documents are taken before departure",
            {"status": worker_status, "type": document_type},
        )
    raise TransitionRefused(
        f"documents are taken before departure; the worker is {worker_status}",
        {"status": worker_status},
    )


def lapsed_abroad(worker_status: str | None, document_type: str) -> bool:
    """Whether a lapse is a warning for the desk: a passport or work visa of a worker abroad,
    to be renewed there (the worker is not taken back: the gates are behind them)."""
    return worker_status in ABROAD_STATUSES and document_type in RENEWED_ABROAD


def expiry_warning(
    document_type: str,
    worker_status: str | None,
    expires_on: dt.date | None,
    today: dt.date,
    warned_days: int | None,
) -> int | None:
    """The warning (60 or 30: days before it lapses) a verified passport or work visa is due
    on ``today``, or None: one not given before (``warned_days``: the last given), the
    nearest the expiry (a document first seen 25 days from its expiry gets the 30 days' only),
    to a worker before departure or abroad, and never for a document already lapsed."""
    if document_type not in RENEWED_ABROAD or worker_status not in WARNED_STATUSES:
        return None
    if expires_on is None or has_lapsed(expires_on, today):
        return None
    days_left = (expires_on - today).days
    due = min((days for days in EXPIRY_WARNINGS if days_left <= days), default=None)
    if due is None or (warned_days is not None and warned_days <= due):
        return None
    return due


def is_repeat(previous: Mapping, submission: Mapping) -> bool:
    """The same submission again (a double click, a retried request) while the first one still
    waits for a decision: the same number, dates and file."""
    return all(
        previous.get(key) == submission.get(key)
        for key in ("number", "issued_on", "expires_on", "file_sha256")
    )


# scanned files: the platform's one rule for them (``pmi_common.scans``) -----------------------

# decisions ---------------------------------------------------------------------------------


def ensure_may_decide(actor: Mapping | None) -> None:
    """Only the document desk (or an admin) decides; calls between services carry no actor."""
    if actor is None:
        return
    if actor.get("role") not in DECIDING_ROLES:
        raise Forbidden(
            f"only a verifier decides on documents, not a {actor.get('role')}",
            {"role": actor.get("role")},
        )


def ensure_decidable(
    document: Document,
    worker_cycle: int,
    worker_status: str | None,
    today: dt.date,
    verifying: bool,
) -> None:
    if document.replaced_by is not None:
        raise AlreadyDecided(
            f"document {document.id} was replaced by {document.replaced_by}",
            {"replaced_by": document.replaced_by},
        )
    if document.status != SUBMITTED:
        raise AlreadyDecided(
            f"document {document.id} is already {document.status}", {"status": document.status}
        )
    if document.cycle != worker_cycle:
        raise AlreadyDecided(
            f"document {document.id} belongs to an earlier registration", {"cycle": document.cycle}
        )
    ensure_accepts_documents(worker_status, document.document_type)
    expires_on = document.expires_on
    if verifying and expires_on is not None and has_lapsed(expires_on, today):
        raise TransitionRefused(
            f"the document expired on {expires_on.isoformat()} while it waited; "
            "reject it so a valid one is submitted",
            {"expires_on": expires_on.isoformat()},
        )


def ensure_separate_duties(submitted_by: str | None, decider: str | None) -> None:
    """The one who submitted a document never decides on it (the desk's four-eyes rule)."""
    if submitted_by is not None and decider is not None and submitted_by == decider:
        raise Forbidden(
            "the one who submitted a document cannot decide on it: another verifier must",
            {"submitted_by": submitted_by},
        )


def ensure_scanned(file_sha256: str | None) -> None:
    """A document is verified against its scan: none, no verification (a rejection may say so)."""
    if file_sha256 is None:
        raise TransitionRefused(
            "a document cannot be verified without its scan: reject it, "
            "or have it submitted again with the scan",
            {"file": "missing"},
        )


# registration's word ----------------------------------------------------------------------


def follow_registration(
    worker: Worker, current: Iterable[Document], cycle: int, sequence: int, status: str
) -> None:
    """Registration's word about a worker, whose checklist holds ``current``. A newer cycle
    closes that checklist (a new one starts empty); submissions wait in the desk's queue only
    while the worker still takes documents of their type (a passport or work visa abroad too),
    and come back to it if they do again. A word older than the one kept changes nothing."""
    current = list(current)
    if worker.learn(cycle=cycle, sequence=sequence, status=status):
        for document in current:
            document.in_checklist = document.awaiting_decision = False
        worker.documents_complete = False
    for document in current:
        if document.in_checklist and document.status == SUBMITTED:
            document.awaiting_decision = accepts(worker.status, document.document_type)


# the desk's figures ------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (PostgreSQL's ``percentile_cont``)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
