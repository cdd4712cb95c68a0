"""What to say, on which event, to the worker it is about: the event's fields a message may use,
and nothing else (never a NIK, a health detail or a case's content)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pmi_common import contract as c

from . import domain as d
from .templates import HEALTH_DOCUMENTS, free_text

ORIENTATION_SESSION_CANCELLED = "session_cancelled"  # orientation's release reason


@dataclass(frozen=True)
class Notice:
    kind: str
    context: dict


@dataclass(frozen=True)
class Session:
    """An orientation session as the service heard of it (session_scheduled)."""

    id: str
    starts_at: dt.datetime
    location: str


def reminder_for(session: Session) -> Notice:
    """The reminder, the day before, of an OPP session the worker is enrolled in."""
    return Notice(
        d.SESSION_REMINDER,
        {"starts_at": session.starts_at, "location": free_text(session.location)},
    )


def notice_for(
    event_type: str,
    data: dict,
    *,
    session: Session | None = None,
    programme: str | None = None,
) -> Notice | None:
    """The notice an event of ``event_type`` with payload ``data`` gives the worker, or None
    (the event says nothing the worker needs to hear)."""
    if event_type == c.WORKER_REGISTERED:
        return Notice(d.REGISTERED, {})
    if event_type == c.DOCUMENT_REJECTED:
        health = data["document_type"] in HEALTH_DOCUMENTS
        return Notice(
            d.DOCUMENT_REJECTED,
            {
                "document_type": data["document_type"],
                "reason": "" if health else free_text(data.get("reason")),
            },
        )
    if event_type == c.DOCUMENTS_COMPLETED:
        return Notice(d.DOCUMENTS_COMPLETED, {})
    if event_type == c.ORIENTATION_ENROLLED:
        location = session.location if session and session.id == data["session_id"] else ""
        return Notice(
            d.SEAT_TAKEN, {"starts_at": data["starts_at"], "location": free_text(location)}
        )
    if event_type == c.ORIENTATION_RELEASED:
        if session is None:
            return None  # a seat in a session never heard of: nothing to say of its day
        kind = (
            d.SESSION_CANCELLED
            if data["reason"] == ORIENTATION_SESSION_CANCELLED
            else d.SEAT_RELEASED
        )
        return Notice(kind, {"starts_at": session.starts_at})
    if event_type == c.ORIENTATION_COMPLETED:
        return Notice(d.CERTIFICATE_ISSUED, {"certificate": data["certificate_number"]})
    if event_type == c.WORKER_STATUS_CHANGED:
        if data["to_status"] == "cleared_for_departure":
            return Notice(d.CLEARED_FOR_DEPARTURE, {})
        return None
    if event_type == c.CONTRACT_ENDING:
        return Notice(
            d.CONTRACT_ENDING, {"ends_on": data["ends_on"], "programme": free_text(programme)}
        )
    if event_type == c.DOCUMENT_EXPIRING:
        return Notice(
            d.DOCUMENT_EXPIRING,
            {
                "document_type": data["document_type"],
                "expires_on": data["expires_on"],
                "days_left": data["days_left"],
                "abroad": data["abroad"],
            },
        )
    if event_type == c.WORKER_RETURNED:
        return Notice(d.WELCOME_HOME, {"programme": free_text(programme)})
    return None
