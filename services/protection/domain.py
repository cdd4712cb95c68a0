"""The protection desk's cases (*pengaduan*) as plain Python: the workflow, its owner, its time
limits, who may see a case, and what a family may read of it without an account.

A case is about a registered worker (``worker_id``) or about someone the platform does not know
yet (a name, a village, a destination country, an employer if known). It moves
received -> assessed -> referred / in progress -> resolved -> closed, and a resolved or closed
case may be reopened; every step records who, when and a note, which the caseworker may mark
public (the family reads it with the case's number and code). Only the caseworker it is assigned
to, or the admin, moves a case; the admin (re)assigns, a caseworker may take an unassigned case.

Time limits run from the moment a case is received, by urgency: acknowledged (out of
``received``) within 1 working day, 2 hours for an emergency; a first action (referred, in
progress or resolved) within 3 working days (``workdays``: Indonesia's calendar, WIB).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from pmi_common.errors import Forbidden, InvalidInput, NotFound, TransitionRefused
from pmi_common.identity import mask_niks_in_text
from pmi_common.names import (
    CASE_AGENCY_ANSWERS,
    CASE_FIRST_ACTIONS,
    CASE_REFERRAL_KINDS,
    CASE_URGENCIES,
    SENSITIVE_CASE_TYPES,
)
from pmi_common.workdays import DISTRICT_TIMEZONE, end_of_working_days

RECEIVED, ASSESSED, REFERRED = "received", "assessed", "referred"
IN_PROGRESS, RESOLVED, CLOSED, REOPENED = "in_progress", "resolved", "closed", "reopened"
OPEN = (RECEIVED, ASSESSED, REFERRED, IN_PROGRESS, REOPENED)
EMERGENCY, HIGH, NORMAL = CASE_URGENCIES
OPENED, ASSIGNED, MOVED, LINKED = "opened", "assigned", "moved", "linked"  # kinds of step
ATTACHED = "attached"
ANSWERED = "answered"  # a body the case was referred to said where it stands
MAILED = "mailed"  # a referral letter reached the body's mail server
MOST_ATTACHMENTS = 20  # scans and photos on one case
ADMIN, CASEWORKER = "admin", "caseworker"  # the gateway's roles that work on cases
AGENCY = "agency"  # the role of an agency's token: answers on the cases referred to it

# where a case may go from each status
MOVES: dict[str, tuple[str, ...]] = {
    RECEIVED: (ASSESSED, CLOSED),
    ASSESSED: (REFERRED, IN_PROGRESS, RESOLVED, CLOSED),
    REFERRED: (IN_PROGRESS, RESOLVED, CLOSED),
    IN_PROGRESS: (REFERRED, RESOLVED, CLOSED),
    RESOLVED: (CLOSED, REOPENED),
    CLOSED: (REOPENED,),
    REOPENED: (ASSESSED, REFERRED, IN_PROGRESS, RESOLVED, CLOSED),
}
# what a family reads: Bahasa Indonesia first, English second
STATUS_LABELS: dict[str, dict[str, str]] = {
    RECEIVED: {"id": "Diterima", "en": "Received"},
    ASSESSED: {"id": "Ditelaah", "en": "Assessed"},
    REFERRED: {"id": "Dirujuk ke instansi terkait", "en": "Referred"},
    IN_PROGRESS: {"id": "Sedang ditangani", "en": "In progress"},
    RESOLVED: {"id": "Selesai ditangani", "en": "Resolved"},
    CLOSED: {"id": "Ditutup", "en": "Closed"},
    REOPENED: {"id": "Dibuka kembali", "en": "Reopened"},
}
FIRST_ACTIONS = CASE_FIRST_ACTIONS  # referred, in progress, resolved: acting on a case
WAGES_RECOVERED, REPATRIATED = "wages_recovered", "repatriated"
DECEASED = "deceased_remains_repatriated"
NOTE_NEEDED = (CLOSED, REOPENED)  # say why
EMBASSY, ONBOARDED = "embassy", "agency"  # kinds of referral
NAME_NEEDED = ("police", "hospital", "legal_aid")  # which station, hospital, office
# how a referral reaches its body: an onboarded agency by event; any other by a letter, mailed
# (queued, then mailed) when the directory has the body's address and the case is not sensitive,
# otherwise printed by the caseworker (to_print; withheld: a sensitive case's, never mailed)
BY_EVENT, QUEUED, SENT_BY_MAIL, TO_PRINT, WITHHELD = (
    "event",
    "queued",
    "mailed",
    "to_print",
    "withheld",
)
LONGEST_MAIL_RETRY = dt.timedelta(hours=1)
FIRST_MAIL_RETRY = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class Limits:
    """How long a case of one urgency may wait: to be acknowledged (clock hours, or working
    days) and for a first action (working days)."""

    act_working_days: int
    acknowledge_working_days: int = 1
    acknowledge_hours: int | None = None  # clock hours instead of working days

    def deadlines(
        self, received_at: dt.datetime, zone: str = DISTRICT_TIMEZONE
    ) -> tuple[dt.datetime, dt.datetime]:
        """(acknowledge by, act by), as instants in UTC."""
        if self.acknowledge_hours is not None:
            acknowledge_by = received_at + dt.timedelta(hours=self.acknowledge_hours)
        else:
            acknowledge_by = end_of_working_days(received_at, self.acknowledge_working_days, zone)
        return acknowledge_by, end_of_working_days(received_at, self.act_working_days, zone)


LIMITS: dict[str, Limits] = {
    EMERGENCY: Limits(act_working_days=3, acknowledge_hours=2),
    HIGH: Limits(act_working_days=3),
    NORMAL: Limits(act_working_days=3),
}


# the family's code --------------------------------------------------------------------------

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: read out over the phone
CODE_LENGTH = 10  # about 49 bits
NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_number(year: int) -> str:
    """A case number to say over the phone: ``PGD-2026-7K3M9Q2B``. Not a secret (the code is)."""
    return f"PGD-{year}-" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_digest(number: str, code: str) -> str:
    """What is kept of a code: its digest with the case's number (the code itself is given to
    the reporter once, at filing)."""
    normalised = "".join(code.split()).upper()
    return hashlib.sha256(f"{number}:{normalised}".encode()).hexdigest()


# a dummy digest compared when no case has the number, so a wrong number costs what a wrong code
# does
_NO_CASE_DIGEST = code_digest("PGD-0000-00000000", "-")


def code_matches(case: Case | None, number: str, code: str) -> bool:
    """Whether ``code`` opens ``case`` (None: no case has ``number``), in constant time."""
    presented = code_digest(number, code)
    kept = case.code_digest if case is not None else _NO_CASE_DIGEST
    return hmac.compare_digest(kept, presented) and case is not None


# the outcome --------------------------------------------------------------------------------

OUTCOME_DETAILS = (
    "amount",
    "currency",
    "returned_on",
    "died_on",
    "died_in",
    "death_cause",
    "remains_arrive_on",
)


def outcome_details(
    kind: str, details: Mapping, case: Case, resolved_on: dt.date
) -> dict[str, object]:
    """The details an outcome of ``kind`` keeps, every one of ``OUTCOME_DETAILS`` named (None when
    it has none), as JSON (dates in ISO, the amount as text): a repatriation's day home defaults
    to the day the case is resolved, a death's country to the case's destination country."""
    kept: dict[str, object] = dict.fromkeys(OUTCOME_DETAILS)
    kept.update({k: _text(v) for k, v in details.items() if k in OUTCOME_DETAILS and v is not None})
    if kind == REPATRIATED and kept["returned_on"] is None:
        kept["returned_on"] = resolved_on.isoformat()
    if kind == DECEASED and kept["died_in"] is None:
        kept["died_in"] = case.destination_country
        if kept["died_in"] is None:
            raise InvalidInput(
                "sebutkan negara tempat meninggal (name the country of the death)",
                {"outcome": {"died_in": ["required: the case names no destination country"]}},
            )
    return kept


def _text(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value) if isinstance(value, Decimal) else value


# the referral ------------------------------------------------------------------------------


def referral(kind: str, details: Mapping, case: Case) -> dict[str, str | None]:
    """Whom a case is referred to, as kept on the step: the ``kind`` of body, its ``name``, the
    ``country`` of an embassy or consulate (the case's destination country if not given), the
    ``agency`` onboarded on the platform (its name) for a referral to one; for a body outside
    the platform, the ``summary`` its letter gives, as the caseworker confirms it (a NIK in it
    masked)."""
    kept: dict[str, str | None] = {
        "kind": kind,
        "name": details.get("name"),
        "country": details.get("country"),
        "agency": details.get("agency"),
    }
    summary = details.get("summary")
    problems: dict[str, list[str]] = {}
    if kind not in CASE_REFERRAL_KINDS:
        problems["kind"] = [f"one of {', '.join(CASE_REFERRAL_KINDS)}"]
    if kind == EMBASSY:
        kept["country"] = kept["country"] or case.destination_country
        if kept["country"] is None:
            problems["country"] = ["required: the case names no destination country"]
    if kind == ONBOARDED and not kept["agency"]:
        problems["agency"] = ["required: the name of the agency onboarded on the platform"]
    if kind != ONBOARDED and kept["agency"]:
        problems["agency"] = ["only for a referral to an onboarded agency (kind agency)"]
    if kind in NAME_NEEDED and not kept["name"]:
        problems["name"] = [f"required: which {kind.replace('_', ' ')}"]
    if kind != ONBOARDED and not (summary and summary.strip()):
        problems["summary"] = ["required: what the referral letter tells the body, confirmed"]
    if kind == ONBOARDED and summary:
        problems["summary"] = ["an onboarded agency receives the event, not a letter"]
    if kind != ONBOARDED and summary:
        kept["summary"] = mask_niks_in_text(summary.strip())
    if problems:
        raise InvalidInput(
            "sebutkan instansi rujukan dengan lengkap (name the body the case is referred to)",
            {"referral": problems},
        )
    return kept


# the case -----------------------------------------------------------------------------------


@dataclass(eq=False)
class Step:
    """One step of a case: opened, assigned, or moved from one status to another."""

    action: str
    at: dt.datetime
    by: str | None  # the token's subject
    role: str | None
    from_status: str | None = None
    to_status: str | None = None
    assigned_to: str | None = None
    note: str | None = None
    public: bool = False  # the family may read the note with the case's code
    outcome: str | None = None  # how the case ended, on the step that resolved it
    referral: dict | None = None  # whom the case was referred to, on the step that referred it
    agency: str | None = None  # the onboarded agency referred to, or that answered
    answer: str | None = None  # what the body answered (received, in_progress...)
    referral_id: str | None = None  # the referral the step made, answers or delivered
    answered_by: str | None = None  # who at the body answered
    answered_at: dt.datetime | None = None  # when the body answered
    case_id: str | None = None


@dataclass(eq=False)
class Referral:
    """A case referred to one body, and how its letter reaches it (``delivery``). The steps
    naming its id are its thread: the referral, its letter mailed, the body's answers."""

    id: str
    kind: str
    referred_at: dt.datetime
    referred_by: str | None = None
    name: str | None = None  # the body's name as the letter is addressed (or as referred)
    country: str | None = None
    agency: str | None = None  # an onboarded agency's name
    summary: str | None = None  # what the letter tells the body, as the caseworker confirmed it
    email: str | None = None  # where the letter is mailed (the directory's address)
    delivery: str = BY_EVENT
    letter: bytes | None = None  # the letter's PDF, as made when referred
    attempts: int = 0
    next_try_at: dt.datetime | None = None
    mailed_at: dt.datetime | None = None
    last_error: str | None = None
    case_id: str | None = None

    def address(self, name: str, email: str | None, sensitive: bool, at: dt.datetime) -> None:
        """The letter goes to ``name``: mailed to ``email`` when the directory has one, unless
        the case is sensitive (then printed, and handed over by the caseworker)."""
        self.name = name
        if sensitive:
            self.delivery = WITHHELD
        elif email:
            self.email, self.delivery, self.next_try_at = email, QUEUED, at
        else:
            self.delivery = TO_PRINT

    def mail_failed(
        self, error: str, at: dt.datetime, first_wait: dt.timedelta = FIRST_MAIL_RETRY
    ) -> None:
        """The mail server did not take the letter: tried again after ``first_wait``, the wait
        doubling up to an hour."""
        self.attempts += 1
        wait = min(LONGEST_MAIL_RETRY, first_wait * 2 ** (self.attempts - 1))
        self.last_error, self.next_try_at = error[:200], at + wait


@dataclass(eq=False)
class Attachment:
    """A scan or photo kept with a case (a PDF, JPEG or PNG within the documents desk's limit):
    who added it, when, and what it shows."""

    id: str
    sha256: str
    media_type: str
    size: int
    added_at: dt.datetime
    added_by: str | None
    content: bytes = b""
    filename: str | None = None
    description: str | None = None
    case_id: str | None = None


@dataclass(eq=False)
class Case:
    number: str
    code_digest: str
    reporter_kind: str
    channel: str
    aspect: str
    case_type: str
    urgency: str
    summary: str
    received_at: dt.datetime
    acknowledge_by: dt.datetime
    act_by: dt.datetime
    id: str = ""
    worker_id: str | None = None
    person_name: str | None = None  # someone the platform does not know (yet)
    village_code: str | None = None
    destination_country: str | None = None
    employer: str | None = None
    family_member_id: str | None = None  # the reporter, from the worker's family list
    reporter_name: str | None = None  # an agency's or someone else's name
    notes: str | None = None
    status: str = RECEIVED
    assigned_to: str | None = None
    assigned_at: dt.datetime | None = None
    acknowledged_at: dt.datetime | None = None
    acted_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    outcome: str | None = None  # how it ended, the last time it was resolved
    outcome_details: dict | None = None
    steps: list[Step] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)

    @property
    def sensitive(self) -> bool:
        return self.case_type in SENSITIVE_CASE_TYPES

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def overdue(self, now: dt.datetime) -> list[str]:
        """The limits an open case has passed: ``acknowledge``, ``act``, both or none."""
        if not self.is_open:
            return []
        passed = []
        if self.acknowledged_at is None and now > self.acknowledge_by:
            passed.append("acknowledge")
        if self.acted_at is None and now > self.act_by:
            passed.append("act")
        return passed

    def visible_to(self, actor: Mapping | None) -> bool:
        """Everyone at the desk sees a case but a sensitive one, which only the admin and the
        caseworker it is assigned to see. Calls between services carry no actor: they see it."""
        if actor is None or actor.get("role") == ADMIN or not self.sensitive:
            return True
        return self.assigned_to is not None and actor.get("subject") == self.assigned_to

    def referred_to(self, agency: str | None) -> bool:
        """Whether the case was ever referred to the onboarded agency ``agency``."""
        return agency is not None and any(
            step.referral is not None and step.agency == agency for step in self.steps
        )

    def answer(self, answer: str, note: str | None, actor: Mapping | None, at: dt.datetime) -> Step:
        """An agency the case was referred to says where it stands (``CASE_AGENCY_ANSWERS``),
        with a note; the caseworker reads it on the case. Its status stays the caseworker's to
        move. Any other caller, another agency, or a case not referred to it: not found."""
        role, subject = _who(actor)
        agency = (actor or {}).get("agency") if role == AGENCY else None
        if not self.referred_to(agency):
            raise NotFound(f"kasus tidak ditemukan (no case {self.id})")
        if answer not in CASE_AGENCY_ANSWERS:
            raise InvalidInput(
                "status tidak dikenal (unknown status)",
                {"status": [f"one of {', '.join(CASE_AGENCY_ANSWERS)}"]},
            )
        referral = [r for r in self.referrals if r.agency == agency and r.kind == ONBOARDED]
        step = Step(ANSWERED, at, subject, role, note=note, agency=agency, answer=answer)
        step.referral_id = referral[-1].id if referral else None
        step.answered_by, step.answered_at = agency, at
        return self.record(step)

    def referral(self, referral_id: str) -> Referral:
        for kept in self.referrals:
            if kept.id == referral_id:
                return kept
        raise NotFound(f"rujukan tidak ditemukan (no referral {referral_id})")

    def record_answer(
        self,
        referral_id: str,
        answer: str,
        answered_by: str,
        answered_at: dt.datetime,
        note: str | None,
        actor: Mapping | None,
        at: dt.datetime,
    ) -> Step:
        """The caseworker records what a body the case was referred to answered by letter,
        phone or in person: who answered, when, and where it stands; the same record as an
        agency's answer over HTTP, on the referral's thread."""
        role, subject = self._worked_on_by(actor)
        referral = self.referral(referral_id)
        if answer not in CASE_AGENCY_ANSWERS:
            raise InvalidInput(
                "status tidak dikenal (unknown status)",
                {"status": [f"one of {', '.join(CASE_AGENCY_ANSWERS)}"]},
            )
        if answered_at > at or answered_at < referral.referred_at:
            raise InvalidInput(
                "waktu jawaban di antara rujukan dan sekarang (answered between the referral "
                "and now)",
                {"answered_at": ["not before the referral, not in the future"]},
            )
        step = Step(ANSWERED, at, subject, role, note=note, agency=referral.agency, answer=answer)
        step.referral_id, step.answered_by, step.answered_at = referral.id, answered_by, answered_at
        return self.record(step)

    def letter_mailed(self, referral_id: str, at: dt.datetime, message_id: str) -> Step:
        """The referral's letter reached the body's mail server: the step says where to."""
        referral = self.referral(referral_id)
        referral.delivery, referral.mailed_at, referral.next_try_at = SENT_BY_MAIL, at, None
        referral.last_error = None
        step = Step(MAILED, at, None, None, note=f"{referral.email} {message_id}")
        step.referral_id = referral.id
        return self.record(step)

    def record(self, step: Step) -> Step:
        step.case_id = self.id
        self.steps.append(step)
        self.updated_at = step.at
        return step

    def assign(
        self, caseworker: str, actor: Mapping | None, at: dt.datetime, note: str | None = None
    ) -> Step:
        """Give the case to ``caseworker``: the admin gives any case to anyone; a caseworker
        takes an unassigned case for themself."""
        role, subject = _who(actor)
        if role != ADMIN:
            if role != CASEWORKER or caseworker != subject:
                raise Forbidden(
                    "hanya admin yang menugaskan kasus kepada orang lain "
                    "(only the admin assigns a case to someone else)",
                    {"reason": "assign_others"},
                )
            if self.assigned_to not in (None, subject):
                raise Forbidden(
                    "kasus ini sudah ditangani petugas lain; admin yang memindahkannya "
                    "(the case is another caseworker's; the admin reassigns it)",
                    {"reason": "assigned_to_another"},
                )
        if caseworker == self.assigned_to:
            raise TransitionRefused(
                "kasus sudah ditugaskan kepada petugas ini (the case is already theirs)",
                {"reason": "already_assigned"},
            )
        self.assigned_to, self.assigned_at = caseworker, at
        return self.record(Step(ASSIGNED, at, subject, role, assigned_to=caseworker, note=note))

    def link(
        self, worker_id: str, actor: Mapping | None, at: dt.datetime, note: str | None = None
    ) -> Step:
        """The case about someone not registered turns out to be about the registered worker
        ``worker_id``: from now on it is theirs (what was said of the person stays)."""
        role, subject = self._worked_on_by(actor)
        if self.worker_id is not None:
            raise TransitionRefused(
                "kasus ini sudah terhubung dengan pekerja terdaftar "
                "(the case already names a registered worker)",
                {"reason": "already_linked", "worker_id": self.worker_id},
            )
        self.worker_id = worker_id
        return self.record(Step(LINKED, at, subject, role, note=note))

    def attach(self, attachment: Attachment, actor: Mapping | None) -> Step:
        """Keep a scan or photo with the case, as its caseworker or the admin; the same file
        twice is kept once."""
        role, subject = self._worked_on_by(actor)
        if any(kept.sha256 == attachment.sha256 for kept in self.attachments):
            raise TransitionRefused(
                "berkas ini sudah dilampirkan (this file is already attached)",
                {"reason": "already_attached", "sha256": attachment.sha256},
            )
        if len(self.attachments) >= MOST_ATTACHMENTS:
            raise TransitionRefused(
                f"paling banyak {MOST_ATTACHMENTS} lampiran per kasus "
                f"(at most {MOST_ATTACHMENTS} attachments to a case)",
                {"reason": "too_many_attachments"},
            )
        attachment.case_id, attachment.added_by = self.id, subject
        self.attachments.append(attachment)
        at = attachment.added_at
        return self.record(Step(ATTACHED, at, subject, role, note=attachment.description))

    def attachment(self, attachment_id: str) -> Attachment:
        for kept in self.attachments:
            if kept.id == attachment_id:
                return kept
        raise NotFound(f"lampiran tidak ditemukan (no attachment {attachment_id})")

    def move(
        self,
        to: str,
        actor: Mapping | None,
        at: dt.datetime,
        note: str | None = None,
        public: bool = False,
        outcome: str | None = None,
        details: Mapping | None = None,
        referred: Mapping | None = None,
    ) -> Step:
        """Move the case to ``to``, as its caseworker or the admin. Resolving it says how it
        ended (``outcome``, with its ``details``), referring it whom to (``referred``: the
        ``kind`` of body with its ``name``, ``country`` or onboarded ``agency``); no other
        step does."""
        role, subject = self._worked_on_by(actor)
        if to not in MOVES.get(self.status, ()):
            raise TransitionRefused(
                f"kasus berstatus {self.status} tidak dapat menjadi {to} "
                f"(a {self.status} case cannot become {to})",
                {"reason": "not_allowed", "from": self.status, "allowed": list(MOVES[self.status])},
            )
        if to in NOTE_NEEDED and not (note and note.strip()):
            raise InvalidInput(
                "catatan wajib diisi: sebutkan alasannya (a note is needed: say why)",
                {"note": [f"required to make a case {to}"]},
            )
        if (to == RESOLVED) != (outcome is not None):
            problem = "required to resolve a case" if to == RESOLVED else "only to resolve a case"
            raise InvalidInput(
                "hasil penanganan diisi ketika kasus diselesaikan "
                "(an outcome is given when, and only when, a case is resolved)",
                {"outcome": [problem]},
            )
        if (to == REFERRED) != (referred is not None):
            problem = "required to refer a case" if to == REFERRED else "only to refer a case"
            raise InvalidInput(
                "instansi rujukan disebutkan ketika kasus dirujuk "
                "(whom to is named when, and only when, a case is referred)",
                {"referral": [problem]},
            )
        kept = referral(referred["kind"], referred, self) if referred is not None else None
        if outcome is not None:
            resolved_on = at.astimezone(ZoneInfo(DISTRICT_TIMEZONE)).date()
            self.outcome_details = outcome_details(outcome, details or {}, self, resolved_on)
            self.outcome = outcome
        step = Step(MOVED, at, subject, role, self.status, to, note=note, public=public)
        step.outcome = outcome
        if kept is not None:
            summary = kept.pop("summary", None)  # the letter's, kept with the referral
            step.referral, step.agency = kept, kept["agency"]
            made = Referral(
                id=str(uuid.uuid4()),
                kind=kept["kind"] or "",
                referred_at=at,
                referred_by=subject,
                name=kept["name"],
                country=kept["country"],
                agency=kept["agency"],
                summary=summary,
            )
            made.case_id = self.id
            self.referrals.append(made)
            step.referral_id = made.id
        self.status = to
        if self.acknowledged_at is None:
            self.acknowledged_at = at
        if to in FIRST_ACTIONS and self.acted_at is None:
            self.acted_at = at
        if to == RESOLVED:
            self.resolved_at = at
        if to == CLOSED:
            self.closed_at = at
        return self.record(step)

    def _worked_on_by(self, actor: Mapping | None) -> tuple[str | None, str | None]:
        """(role, subject) of the actor, if they may work on the case: its caseworker or the
        admin."""
        role, subject = _who(actor)
        if role != ADMIN and (role != CASEWORKER or subject != self.assigned_to):
            raise Forbidden(
                "hanya petugas yang ditugaskan atau admin yang memproses kasus "
                "(only the assigned caseworker or the admin moves a case)",
                {"reason": "not_assigned", "assigned_to": self.assigned_to},
            )
        return role, subject

    def public_notes(self) -> list[Step]:
        return [step for step in self.steps if step.public and step.note]


def _who(actor: Mapping | None) -> tuple[str | None, str | None]:
    return (actor.get("role"), actor.get("subject")) if actor else (ADMIN, None)


def visible(case: Case | None, actor: Mapping | None, case_id: str) -> Case:
    """The case, if there is one the actor may see: a sensitive case someone else may not see
    is not found, as if there were none."""
    if case is None or not case.visible_to(actor):
        raise NotFound(f"kasus tidak ditemukan (no case {case_id})")
    return case


def urgency_rank(urgency: str) -> int:
    return CASE_URGENCIES.index(urgency)
