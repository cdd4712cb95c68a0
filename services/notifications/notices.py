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
    if event_type == c.LETTER_ISSUED:
        # the type alone: the number and the code stay on the letter (whoever reads the phone
        # learns no more than that a letter is ready at the desk)
        return Notice(d.LETTER_READY, {"letter_type": data["letter_type"]})
    return None


# the family and protection cases --------------------------------------------------------------


@dataclass(frozen=True)
class FamilyContact:
    """A member of the worker's family list as registration has it now: the phone, whether an
    emergency contact, and the worker's consent to contact them."""

    member_id: str
    full_name: str
    phone: str | None
    emergency_contact: bool
    consent_to_contact: bool

    @property
    def reachable(self) -> bool:
        return bool(self.phone) and self.consent_to_contact

    @classmethod
    def of(cls, member: dict) -> FamilyContact:
        return cls(
            str(member["id"]),
            member.get("full_name") or "",
            member.get("phone") or None,
            bool(member.get("emergency_contact")),
            bool(member.get("consent_to_contact")),
        )


def emergency_contacts(family: list[dict]) -> list[FamilyContact]:
    """Who hears what the family is told (a death, a repatriation): the emergency contacts the
    worker consented to their being contacted, with a phone."""
    found = [FamilyContact.of(member) for member in family]
    return [member for member in found if member.emergency_contact and member.reachable]


@dataclass(frozen=True)
class CaseReporter:
    """Protection's record of who reported a case: never more than the kind, the family
    member (when one of the worker's family reported) and the case's number."""

    case_number: str
    reporter_kind: str
    family_member_id: str | None


@dataclass(frozen=True)
class CaseAudience:
    """Who is told of a case's step, and in which words."""

    kind: str  # CASE_UPDATE, or CASE_NEWS for a sensitive case
    worker: bool
    reporter: FamilyContact | None


DEATH_CASE = "death"
CASE_STEP_EVENTS = (c.CASE_OPENED, c.CASE_STATUS_CHANGED)


def case_step(event_type: str, data: dict) -> str | None:
    """The step of a case an event tells of: received when opened, else the status moved to."""
    if event_type == c.CASE_OPENED:
        return data["status"]
    if event_type == c.CASE_STATUS_CHANGED:
        return data["to_status"]
    return None


def case_audience(data: dict, reporter: CaseReporter, family: list[dict]) -> CaseAudience:
    """Who hears of a protection case's step.

    - An ordinary case: the worker (not when the case is the worker's death) and the family
      member who reported it, if that member is on the worker's family list with a phone and
      the worker's consent to contact them: the case's number and the step, nothing else.
    - A sensitive case (violence, trafficking): the worker alone, in words that name no case,
      no step and no desk of protection, only the number to ask with. Never a family phone,
      not even the reporter's: the one who hurts a worker may be in the family, share its phone
      or read it, and a message there can tell them the worker spoke. The family member who
      reported follows the case with the number and the code given at filing.
    """
    if data["sensitive"]:
        return CaseAudience(d.CASE_NEWS, worker=True, reporter=None)
    member = None
    if reporter.reporter_kind == "family_member" and reporter.family_member_id:
        found = [FamilyContact.of(m) for m in family if str(m["id"]) == reporter.family_member_id]
        member = found[0] if found and found[0].reachable else None
    return CaseAudience(d.CASE_UPDATE, worker=data["case_type"] != DEATH_CASE, reporter=member)


REPATRIATED = "repatriated"


def family_notice(event_type: str, data: dict, worker_name: str) -> Notice | None:
    """What a worker's emergency contacts are told of an event, or None: a death recorded
    (with the day the remains arrive, if they come home), a repatriation that closed an
    ordinary case (never a sensitive one's: where a worker in danger is now is not for every
    phone of the family)."""
    if event_type == c.WORKER_DIED:
        arrive_on = data["remains_arrive_on"] if data["remains_repatriated"] else None
        return Notice(d.FAMILY_BEREAVEMENT, {"worker": worker_name, "arrive_on": arrive_on})
    if event_type == c.CASE_OUTCOME_RECORDED:
        if data["outcome"] != REPATRIATED or data["sensitive"]:
            return None
        return Notice(
            d.FAMILY_REPATRIATED, {"worker": worker_name, "returned_on": data["returned_on"]}
        )
    return None
