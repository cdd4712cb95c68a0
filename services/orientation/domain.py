"""The pre-departure orientation (OPP), as plain Python.

A session at the one-roof service centre has a start, a place and a number of seats. A worker may
take a seat only while their documents are verified (the documents service's latest word), they
are still before departure, they hold no other open seat and have not completed orientation in
this migration cycle. Attendance checks the identity the worker presents; it completes the
orientation and earns a certificate that anyone can check.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from pmi_common.errors import CapacityReached, NotEligible, TooManyAttempts, TransitionRefused

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

# Statuses (from the registration service) in which a worker may still be oriented.
BEFORE_DEPARTURE = ("registered", "documents_verified", "orientation_completed",
                    "cleared_for_departure")
# Statuses that end a worker's claim on a seat.
LEAVING = ("withdrawn", "departed")

# Attendance is taken at the session: check-in opens before it starts and closes the same day.
CHECK_IN_OPENS = dt.timedelta(hours=2)
CHECK_IN_CLOSES = dt.timedelta(hours=12)


@dataclass
class Trainee:
    """A worker as orientation knows them, kept from the registration and documents events."""

    worker_id: str
    registered: bool = False
    cycle: int = 0
    status: str | None = None
    status_sequence: int = 0
    documents_complete: bool = False
    documents_sequence: int = 0

    def documents_changed(self, complete: bool, sequence: int) -> None:
        """The documents service's checklist state as of ``sequence`` of its events for this
        worker; an older word than the last one applied changes nothing."""
        if sequence > self.documents_sequence:
            self.documents_sequence, self.documents_complete = sequence, complete

    def registration_changed(self, cycle: int, sequence: int, status: str) -> bool:
        """A registration event (``sequence`` of that service's events for this worker) saying
        the worker is ``status`` in ``cycle``. True when a new migration cycle began."""
        new_cycle = cycle > self.cycle
        self.cycle = max(self.cycle, cycle)
        if sequence > self.status_sequence:
            self.status_sequence, self.status = sequence, status
        return new_cycle

    def seat_lost_reason(self) -> str | None:
        """Why a seat this worker holds must be given back now, or None while it may be kept."""
        if self.status in LEAVING:
            return self.status
        if not self.documents_complete:
            return DOCUMENTS_NO_LONGER_COMPLETE
        return None

    def refusal(self, open_session_id: str | None, certificate_number: str | None) -> None:
        """Raise ``NotEligible`` with the reason when this worker may not take a seat."""
        if not self.registered:
            raise NotEligible("orientation has no registration for this worker (yet)",
                              {"reason": NOT_REGISTERED})
        if self.status not in BEFORE_DEPARTURE:
            raise NotEligible(f"the worker is {self.status}; orientation is before departure",
                              {"reason": NOT_BEFORE_DEPARTURE, "status": self.status})
        if certificate_number:
            raise NotEligible("the worker has already completed orientation",
                              {"reason": ALREADY_COMPLETED,
                               "certificate_number": certificate_number})
        if open_session_id:
            raise NotEligible("the worker already holds a seat in an upcoming session",
                              {"reason": ALREADY_ENROLLED, "session_id": open_session_id})
        if not self.documents_complete:
            raise NotEligible("the worker's documents are not all verified",
                              {"reason": DOCUMENTS_NOT_VERIFIED})


@dataclass
class SessionSeats:
    """A session's seats and the moments that decide what it accepts."""

    starts_at: dt.datetime
    capacity: int
    enrolled: int = 0
    status: str = SCHEDULED

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.enrolled, 0) if self.status == SCHEDULED else 0

    def is_upcoming(self, now: dt.datetime) -> bool:
        return self.status == SCHEDULED and self.starts_at > now

    def holds_seats(self, now: dt.datetime) -> bool:
        """True while an enrolment in it is still a claim: not cancelled, check-in not closed."""
        return self.status == SCHEDULED and now < self.starts_at + CHECK_IN_CLOSES

    def take_seat(self, now: dt.datetime) -> None:
        """Refuses a cancelled or past session, and a full one (``CapacityReached``)."""
        self.open_for_enrolment(now)
        if self.seats_left <= 0:
            raise CapacityReached(f"all {self.capacity} seats of the session are taken",
                                  {"capacity": self.capacity, "next_session": None})
        self.enrolled += 1

    def cancel(self, now: dt.datetime) -> None:
        if self.status == CANCELLED:
            raise TransitionRefused("the session is already cancelled", {"status": self.status})
        if self.starts_at <= now:
            raise TransitionRefused("a session that has started cannot be cancelled",
                                    {"starts_at": self.starts_at.isoformat()})
        self.status, self.enrolled = CANCELLED, 0

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
        """Refuses a cancelled session and one that has started (``TransitionRefused``)."""
        if self.status != SCHEDULED:
            raise TransitionRefused(f"the session is {self.status}", {"status": self.status})
        if self.starts_at <= now:
            raise TransitionRefused("the session has started; it takes no more enrolments",
                                    {"starts_at": self.starts_at.isoformat()})


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


def ensure_not_stopped(wrong_nik_times: list[dt.datetime], now: dt.datetime,
                       incident_id: int | None = None) -> None:
    """Refuse (``TooManyAttempts``, with ``retry_after``) a trainer stopped for this worker."""
    until = stopped_until(wrong_nik_times)
    if until is None or until <= now:
        return
    details = {"retry_after": max(1, int((until - now).total_seconds())),
               "wrong_niks": len(wrong_nik_times)}
    if incident_id is not None:
        details["incident_id"] = incident_id
    raise TooManyAttempts(
        f"{WRONG_NIKS_ALLOWED} wrong NIKs were presented for this worker within "
        f"{WRONG_NIK_WINDOW.total_seconds() / 3600:g} hours; attendance is stopped for this "
        "trainer and the incident is recorded", details)


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


def _check_char(year: int, body: str) -> str:
    total = year
    for position, char in enumerate(body, start=1):
        total += position * ALPHABET.index(char)
    return ALPHABET[total % 31]
