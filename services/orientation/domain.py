"""The pre-departure orientation (OPP), as plain Python.

An orientation sitting (what the API calls a "session") at the one-roof service centre has a start,
a place and a number of seats. A worker may take a seat only while their documents are verified
(the documents service's latest word), they are still before departure, they hold no other open
seat and have not completed orientation in this migration cycle. Attendance checks the identity
the worker presents; it completes the orientation and earns a certificate that anyone can check.

These objects are the service's stored state: the repository loads and stores them as they are.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass, field
from typing import NoReturn

from pmi_common.errors import (
    CapacityReached,
    IdentityMismatch,
    NotEligible,
    TooManyAttempts,
    TransitionRefused,
)
from pmi_common.lifecycle import DECEASED, DEPARTED, REGISTERED, WITHDRAWN, RegistrationWord

SCHEDULED = "scheduled"
CANCELLED = "cancelled"

ENROLLED = "enrolled"
RELEASED = "released"
ATTENDED = "attended"

# Why a worker may not take a seat (``NotEligible`` details ``reason``).
NOT_REGISTERED = "not_registered"
DOCUMENTS_NOT_VERIFIED = "documents_not_verified"
NOT_BEFORE_DEPARTURE = "not_before_departure"
ALREADY_ENROLLED = "already_enrolled"
ALREADY_COMPLETED = "already_completed"
NOT_ENROLLED = "not_enrolled"

# Why a seat was given back (``orientation_released`` reason).
SESSION_CANCELLED = "session_cancelled"
DOCUMENTS_NO_LONGER_COMPLETE = "documents_no_longer_complete"
NEW_CYCLE = "new_cycle"

# Statuses that end a worker's claim on a seat (a deceased worker's for good).
LEAVING = (WITHDRAWN, DEPARTED, DECEASED)

# Attendance is taken at the sitting: check-in opens before it starts and closes the same day.
CHECK_IN_OPENS = dt.timedelta(hours=2)
CHECK_IN_CLOSES = dt.timedelta(hours=12)


@dataclass(kw_only=True)
class Trainee(RegistrationWord):
    """A worker as orientation knows them: registration's word (cycle, status and its sequence),
    who they are (the keyed digest of their NIK, their name) and the documents service's latest
    word on their checklist. Orientation keeps no return: a returned worker is simply no longer
    before departure."""

    worker_id: str
    registered: bool = False
    nik_digest: str | None = None
    full_name: str | None = None
    documents_complete: bool = False
    documents_sequence: int = 0
    updated_at: dt.datetime | None = None

    def registration_heard(
        self, cycle: int, sequence: int, nik_digest: str, full_name: str
    ) -> bool:
        """Registration accepted the worker (again, for a new cycle): who they are as of their
        latest cycle. True when a new migration cycle began."""
        if cycle >= self.cycle:
            self.registered, self.nik_digest, self.full_name = True, nik_digest, full_name
        return self.learn(cycle, sequence, REGISTERED)

    def documents_changed(self, complete: bool, sequence: int) -> None:
        """The documents service's checklist state as of ``sequence`` of its events for this
        worker; an older word than the last one applied changes nothing."""
        if sequence > self.documents_sequence:
            self.documents_sequence, self.documents_complete = sequence, complete

    def seat_lost_reason(self) -> str | None:
        """Why a seat this worker holds must be given back now, or None while it may be kept."""
        if self.status in LEAVING:
            return self.status
        if not self.documents_complete:
            return DOCUMENTS_NO_LONGER_COMPLETE
        return None

    def refusal(self, open_sitting_id: str | None, certificate_number: str | None) -> None:
        """Raise ``NotEligible`` with the reason when this worker may not take a seat."""
        if not self.registered:
            raise NotEligible(
                "orientation has no registration for this worker (yet)", {"reason": NOT_REGISTERED}
            )
        if not self.before_departure:
            raise NotEligible(
                f"the worker is {self.status}; orientation is before departure",
                {"reason": NOT_BEFORE_DEPARTURE, "status": self.status},
            )
        if certificate_number:
            raise NotEligible(
                "the worker has already completed orientation",
                {"reason": ALREADY_COMPLETED, "certificate_number": certificate_number},
            )
        if open_sitting_id:
            raise NotEligible(
                "the worker already holds a seat in an upcoming session",
                {"reason": ALREADY_ENROLLED, "session_id": open_sitting_id},
            )
        if not self.documents_complete:
            raise NotEligible(
                "the worker's documents are not all verified", {"reason": DOCUMENTS_NOT_VERIFIED}
            )


@dataclass(kw_only=True)
class Enrolment:
    """A worker's seat in a sitting: enrolled, then released or attended. One per pair."""

    sitting_id: str
    worker_id: str
    enrolled_at: dt.datetime
    status: str = ENROLLED
    released_at: dt.datetime | None = None
    release_reason: str | None = None
    attended_at: dt.datetime | None = None
    ticket: str | None = None  # the seat's opaque code, read at check-in (``ticket_code``)

    def renew(self, now: dt.datetime, ticket: str) -> None:
        """The same worker takes a seat in the same sitting again after giving it back: a new
        ticket, so that the one given back no longer checks anyone in."""
        self.status, self.enrolled_at, self.ticket = ENROLLED, now, ticket
        self.released_at = self.release_reason = None

    def release(self, reason: str, now: dt.datetime) -> None:
        self.status, self.released_at, self.release_reason = RELEASED, now, reason

    def attend(self, now: dt.datetime) -> bool:
        """Mark the seat attended; False when it already was (the attendance recorded again)."""
        if self.status == ATTENDED:
            return False
        self.status, self.attended_at = ATTENDED, now
        return True


def ensure_enrolled(enrolment: Enrolment | None) -> Enrolment:
    """Attendance is for a worker holding (or having used) a seat in the sitting."""
    if enrolment is None or enrolment.status == RELEASED:
        raise NotEligible("the worker is not enrolled in this session", {"reason": NOT_ENROLLED})
    return enrolment


@dataclass(kw_only=True)
class Sitting:
    """One orientation sitting (a "session" to the API and in events): its seats and the moments
    that decide what it accepts. ``enrolled`` counts the seats taken."""

    id: str
    starts_at: dt.datetime
    capacity: int
    location: str = ""
    topics: list[str] = field(default_factory=list)
    enrolled: int = 0
    status: str = SCHEDULED
    cancelled_reason: str | None = None
    created_at: dt.datetime | None = None

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.enrolled, 0) if self.status == SCHEDULED else 0

    def is_upcoming(self, now: dt.datetime) -> bool:
        return self.status == SCHEDULED and self.starts_at > now

    def holds_seats(self, now: dt.datetime) -> bool:
        """True while an enrolment in it is still a claim: not cancelled, check-in not closed."""
        return self.status == SCHEDULED and now < self.starts_at + CHECK_IN_CLOSES

    def take_seat(self, now: dt.datetime) -> None:
        """Refuses a cancelled or past sitting, and a full one (``CapacityReached``)."""
        self.open_for_enrolment(now)
        if self.seats_left <= 0:
            raise CapacityReached(
                f"all {self.capacity} seats of the session are taken",
                {"capacity": self.capacity, "next_session": None},
            )
        self.enrolled += 1

    def give_back(self, enrolment: Enrolment, reason: str, now: dt.datetime) -> bool:
        """Release a seat still taken in this sitting; False when there is none to give back
        (released or attended meanwhile, or the sitting cancelled, which freed every seat)."""
        if enrolment.status != ENROLLED or self.status == CANCELLED:
            return False
        self.enrolled -= 1
        enrolment.release(reason, now)
        return True

    def cancel(self, now: dt.datetime, reason: str | None = None) -> None:
        if self.status == CANCELLED:
            raise TransitionRefused("the session is already cancelled", {"status": self.status})
        if self.starts_at <= now:
            raise TransitionRefused(
                "a session that has started cannot be cancelled",
                {"starts_at": self.starts_at.isoformat()},
            )
        self.status, self.enrolled, self.cancelled_reason = CANCELLED, 0, reason

    def check_in_open(self, now: dt.datetime) -> None:
        if self.status != SCHEDULED:
            raise TransitionRefused(f"the session is {self.status}", {"status": self.status})
        opens, closes = self.starts_at - CHECK_IN_OPENS, self.starts_at + CHECK_IN_CLOSES
        if not opens <= now < closes:
            raise TransitionRefused(
                "attendance is taken at the session, from two hours before it starts "
                "until twelve hours after",
                {"opens_at": opens.isoformat(), "closes_at": closes.isoformat()},
            )

    def open_for_enrolment(self, now: dt.datetime) -> None:
        """Refuses a cancelled sitting and one that has started (``TransitionRefused``)."""
        if self.status != SCHEDULED:
            raise TransitionRefused(f"the session is {self.status}", {"status": self.status})
        if self.starts_at <= now:
            raise TransitionRefused(
                "the session has started; it takes no more enrolments",
                {"starts_at": self.starts_at.isoformat()},
            )


@dataclass(kw_only=True)
class Completion:
    """A completed orientation and its certificate: one per worker and migration cycle."""

    certificate_number: str
    worker_id: str
    cycle: int
    sitting_id: str
    holder_name: str | None
    completed_at: dt.datetime


# Identity at the door -----------------------------------------------------------------------

IDENTITY_MISMATCH = "identity_mismatch"
NIK_ATTEMPTS_EXHAUSTED = "nik_attempts_exhausted"  # the trainer is stopped for the worker


@dataclass(kw_only=True)
class Incident:
    """An identity mismatch at attendance. The NIK presented is kept masked, with a prefix of
    its keyed digest to match it against known workers; never in clear."""

    kind: str
    sitting_id: str
    worker_id: str
    occurred_at: dt.datetime
    presented_nik_masked: str
    presented_digest_prefix: str
    actor_role: str | None = None
    actor_subject: str | None = None
    correlation_id: str | None = None
    id: int | None = None  # given when stored


def same_identity(stored_digest: str | None, presented_digest: str) -> bool:
    """Whether the NIK presented is the registered one, comparing keyed digests only."""
    return stored_digest is not None and hmac.compare_digest(stored_digest, presented_digest)


# Wrong NIKs at the door: a trainer who keeps presenting another NIK for a worker is stopped.
WRONG_NIKS_ALLOWED = 3  # per trainer and worker, within the window
WRONG_NIK_WINDOW = dt.timedelta(hours=24)


def wrong_nik_window_start(now: dt.datetime) -> dt.datetime:
    return now - WRONG_NIK_WINDOW


def stopped_until(wrong_nik_times: list[dt.datetime]) -> dt.datetime | None:
    """When a trainer with these wrong NIKs (within the window) for a worker may try again; None
    while they may."""
    if len(wrong_nik_times) < WRONG_NIKS_ALLOWED:
        return None
    return sorted(wrong_nik_times)[-WRONG_NIKS_ALLOWED] + WRONG_NIK_WINDOW


def ensure_not_stopped(
    wrong_nik_times: list[dt.datetime], now: dt.datetime, incident_id: int | None = None
) -> None:
    """Refuse (``TooManyAttempts``, with ``retry_after``) a trainer stopped for this worker."""
    _refuse_if_stopped(stopped_until(wrong_nik_times), len(wrong_nik_times), now, incident_id)


def _refuse_if_stopped(
    until: dt.datetime | None, wrong_niks: int, now: dt.datetime, incident_id: int | None
) -> None:
    if until is None or until <= now:
        return
    details = {"retry_after": max(1, int((until - now).total_seconds())), "wrong_niks": wrong_niks}
    if incident_id is not None:
        details["incident_id"] = incident_id
    raise TooManyAttempts(
        f"{WRONG_NIKS_ALLOWED} wrong NIKs were presented for this worker within "
        f"{WRONG_NIK_WINDOW.total_seconds() / 3600:g} hours; attendance is stopped for this "
        "trainer and the incident is recorded",
        details,
    )


@dataclass(kw_only=True)
class WrongNik:
    """A wrong NIK presented at the door, its incident recorded: the refusal follows once the
    record is committed. ``wrong_niks``: how many within the window, this one included;
    ``stopped_until``: when that was the last one allowed, until when the trainer is stopped."""

    incident: Incident
    wrong_niks: int
    stopped_until: dt.datetime | None = None


def refuse_wrong_nik(
    incident_id: int | None,
    worker_id: str,
    until: dt.datetime | None,
    wrong_niks: int,
    now: dt.datetime,
) -> NoReturn:
    """The refusal of a recorded wrong NIK: ``TooManyAttempts`` while the trainer is stopped,
    else ``IdentityMismatch``; both name the incident."""
    _refuse_if_stopped(until, wrong_niks, now, incident_id)
    raise IdentityMismatch(
        "the NIK presented is not the enrolled worker's; the incident is recorded",
        {"incident_id": incident_id, "worker_id": worker_id},
    )


# Certificate numbers -------------------------------------------------------------------------

# Crockford's base 32: no I, L, O or U, so a number read aloud or copied by hand stays itself.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CERTIFICATE_PREFIX = "OPP"
_BODY_LENGTH = 10


def certificate_number(year: int, token: bytes) -> str:
    """``OPP-2026-7K3M9-QXD4A-R``: the year, ten random characters (from ``token``, at least
    7 bytes, so numbers cannot be guessed in order) and a check character against typos."""
    if len(token) < 7:
        raise ValueError("a certificate number needs at least 7 random bytes")
    value = int.from_bytes(token[:7], "big")
    body = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in range(_BODY_LENGTH))
    return f"{CERTIFICATE_PREFIX}-{year:04d}-{body[:5]}-{body[5:]}-{_check_char(year, body)}"


def is_certificate_number(text: str) -> bool:
    """Whether ``text`` has the shape and check character of a certificate number."""
    parts = text.split("-") if isinstance(text, str) else []
    if len(parts) != 5 or parts[0] != CERTIFICATE_PREFIX or not parts[1].isdigit():
        return False
    year, body, check = int(parts[1]), parts[2] + parts[3], parts[4]
    if len(parts[1]) != 4 or len(body) != _BODY_LENGTH or any(ch not in ALPHABET for ch in body):
        return False
    return check == _check_char(year, body)


TICKET_PREFIX = "T"


def ticket_code(token: bytes) -> str:
    """``T-7K3M9-QXD4A``: a seat's ticket, ten random characters (from ``token``, at least 7
    bytes) in the certificates' alphabet. It names no one: the check-in at the sitting reads it
    from the QR in the worker's app and finds her seat by it."""
    if len(token) < 7:
        raise ValueError("a ticket needs at least 7 random bytes")
    value = int.from_bytes(token[:7], "big")
    body = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in range(_BODY_LENGTH))
    return f"{TICKET_PREFIX}-{body[:5]}-{body[5:]}"


def _check_char(year: int, body: str) -> str:
    total = year
    for position, char in enumerate(body, start=1):
        total += position * ALPHABET.index(char)
    return ALPHABET[total % 31]
