"""The protection service's handlers: validate, decide with the domain, store through the
repository, publish through the unit of work. The tables at the bottom list every one."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from pmi_common import contract as c
from pmi_common.errors import InvalidInput, NotFound
from pmi_common.letterhead import Letterhead
from pmi_common.validation import load
from pmi_common.workdays import DISTRICT_TIMEZONE

from . import letters, overview
from .directory import Directory
from .domain import (
    LIMITS,
    ONBOARDED,
    RECEIVED,
    REFERRED,
    RESOLVED,
    Attachment,
    Case,
    Referral,
    Step,
    code_digest,
    code_matches,
    new_code,
    new_number,
    visible,
)
from .domain import OPENED as OPENED_STEP
from .schemas import (
    AgencyUpdate,
    AssignCase,
    AttachFile,
    LinkCase,
    ListCases,
    MoveCase,
    OpenCase,
    PublicLookup,
    ReferralAnswer,
)

if TYPE_CHECKING:
    from pmi_common.unit_of_work import UnitOfWork

    from .repository import ProtectionRepository

    Work = UnitOfWork[ProtectionRepository]

OVERVIEW_LISTED = 100  # open cases the console lists, the most pressing first


# commands -----------------------------------------------------------------------------------


def open_case(
    uow: Work,
    command: dict,
    now: dt.datetime,
    worker: Mapping | None = None,
    zone: str = DISTRICT_TIMEZONE,
) -> tuple[Case, str]:
    """Receive a case; the case and the code its reporter follows it with (given only now).
    ``worker`` is registration's record of the case's worker with its ``family`` (the service
    asks registration for it): a case about a registered worker names one registration knows,
    and a family member who reports is one of that worker's family."""
    data = load(OpenCase(), command)
    worker_id = str(data["worker_id"]) if data["worker_id"] else None
    if worker_id is not None:
        _check_worker(worker_id, worker, data)
    acknowledge_by, act_by = LIMITS[data["urgency"]].deadlines(now, zone)
    number, code = new_number(now.year), new_code()
    case = Case(
        id=str(uuid.uuid4()),
        number=number,
        code_digest=code_digest(number, code),
        worker_id=worker_id,
        person_name=data["person_name"],
        village_code=data["village_code"],
        destination_country=data["destination_country"]
        or (worker or {}).get("destination_country"),
        employer=data["employer"],
        reporter_kind=data["reporter_kind"],
        family_member_id=str(data["family_member_id"]) if data["family_member_id"] else None,
        reporter_name=data["reporter_name"],
        channel=data["channel"],
        aspect=data["aspect"],
        case_type=data["case_type"],
        urgency=data["urgency"],
        summary=data["summary"],
        notes=data["notes"],
        received_at=now,
        acknowledge_by=acknowledge_by,
        act_by=act_by,
        updated_at=now,
    )
    role, subject = _who(uow.actor)
    case.record(Step(OPENED_STEP, now, subject, role, to_status=RECEIVED))
    uow.repository.add(case)
    _publish(
        uow,
        case,
        c.CASE_OPENED,
        case_number=case.number,
        registered=worker_id is not None,
        destination_country=case.destination_country,
        reporter_kind=case.reporter_kind,
        channel=case.channel,
        aspect=case.aspect,
        status=case.status,
        acknowledge_by=case.acknowledge_by,
        act_by=case.act_by,
    )
    return case, code


def _check_worker(worker_id: str, worker: Mapping | None, data: dict) -> None:
    if worker is None:
        raise InvalidInput(
            "pekerja tidak terdaftar (no registered worker has this id)",
            {"worker_id": ["no registered worker has this id"]},
        )
    member = data["family_member_id"]
    if member is not None and str(member) not in {m["id"] for m in worker.get("family", [])}:
        raise InvalidInput(
            "anggota keluarga tidak ada dalam daftar keluarga pekerja "
            "(not a member of the worker's family list)",
            {"family_member_id": ["not in the worker's family list"]},
        )


def assign_case(uow: Work, case_id: str, command: dict, now: dt.datetime) -> Case:
    data = load(AssignCase(), command)
    case = visible(uow.repository.lock(case_id), uow.actor, case_id)
    previously = case.assigned_to
    case.assign(data["caseworker"], uow.actor, now, note=data["note"])
    _publish(
        uow, case, c.CASE_ASSIGNED, assigned_to=case.assigned_to, previously_assigned_to=previously
    )
    return case


def link_case(
    uow: Work, case_id: str, command: dict, now: dt.datetime, worker: Mapping | None = None
) -> Case:
    """A case about someone not registered is about the registered worker ``worker`` (the
    service asks registration for it): linked, its events from now on the worker's."""
    data = load(LinkCase(), command)
    worker_id = str(data["worker_id"])
    case = visible(uow.repository.lock(case_id), uow.actor, case_id)
    _check_worker(worker_id, worker, {"family_member_id": None})
    case.link(worker_id, uow.actor, now, note=data["note"])
    if case.destination_country is None and worker is not None:
        case.destination_country = worker.get("destination_country")
    _publish(uow, case, c.CASE_LINKED, aspect=case.aspect, status=case.status)
    return case


def attach_file(uow: Work, case_id: str, command: dict, now: dt.datetime) -> Case:
    """Keep a scan or photo with the case (its caseworker or the admin). No event: the file and
    what it shows stay at the desk."""
    data = load(AttachFile(), command)
    case = visible(uow.repository.lock(case_id), uow.actor, case_id)
    scan = data["file"]
    case.attach(
        Attachment(
            id=str(uuid.uuid4()),
            sha256=scan.sha256,
            media_type=scan.media_type,
            size=scan.size,
            content=scan.content,
            added_at=now,
            added_by=None,
            filename=data["filename"],
            description=data["description"],
        ),
        uow.actor,
    )
    return case


def check_referred_agency(command: Mapping, in_force: Callable[[str], bool]) -> None:
    """A case referred to an onboarded agency names one whose agreement is in force now
    (``in_force``: the agencies service's answer), or the referral is refused naming it: a
    referral to a name no agency has would reach nobody, silently."""
    referred = command.get("referral") if isinstance(command, Mapping) else None
    if not isinstance(referred, Mapping) or referred.get("kind") != ONBOARDED:
        return
    agency = referred.get("agency")
    if isinstance(agency, str) and agency and not in_force(agency):
        raise InvalidInput(
            f"tidak ada instansi terdaftar dengan perjanjian berlaku bernama {agency!r} "
            f"(no agency named {agency!r} is onboarded with an agreement in force)",
            {"referral": {"agency": ["not onboarded, or its agreement is not in force"]}},
        )


@dataclass(frozen=True)
class LetterDesk:
    """What a referral to a body outside the platform needs: the directory of bodies, the
    office's letterhead, and registration's record of the case's worker (None: not registered,
    or the case is not about one)."""

    directory: Directory
    letterhead: Letterhead
    worker: Mapping | None = None


def move_case(
    uow: Work, case_id: str, command: dict, now: dt.datetime, desk: LetterDesk | None = None
) -> Case:
    """Move a case in its workflow; resolving it says how it ended (``outcome``), which
    registration applies to the worker's record where it must (a repatriation, a death);
    referring it to a body outside the platform makes the referral letter (``desk``)."""
    data = load(MoveCase(), command)
    case = visible(uow.repository.lock(case_id), uow.actor, case_id)
    outcome = data["outcome"] or {}
    step = case.move(
        data["to"],
        uow.actor,
        now,
        note=data["note"],
        public=data["public"],
        outcome=outcome.get("kind"),
        details=outcome,
        referred=data["referral"],
    )
    _publish(
        uow, case, c.CASE_STATUS_CHANGED, from_status=step.from_status, to_status=step.to_status
    )
    if step.referral_id is not None and desk is not None:
        _write_letter(case, case.referral(step.referral_id), desk, now)
    if step.to_status == REFERRED and step.referral is not None:
        _publish(
            uow,
            case,
            c.CASE_REFERRED,
            aspect=case.aspect,
            destination_country=case.destination_country,
            referred_kind=step.referral["kind"],
            referred_agency=step.agency,
        )
    if step.to_status == RESOLVED:
        _publish(
            uow,
            case,
            c.CASE_RESOLVED,
            aspect=case.aspect,
            destination_country=case.destination_country,
            received_at=case.received_at,
            resolved_at=now,
            acknowledged_in_time=case.acknowledged_at is not None
            and case.acknowledged_at <= case.acknowledge_by,
            acted_in_time=case.acted_at is not None and case.acted_at <= case.act_by,
        )
        _publish(
            uow, case, c.CASE_OUTCOME_RECORDED, outcome=case.outcome, **_typed(case.outcome_details)
        )
    return case


def _write_letter(case: Case, referral: Referral, desk: LetterDesk, now: dt.datetime) -> None:
    """A referral to a body outside the platform: addressed from the directory, its letter made
    and kept, queued for mail when the body has an address and the case is not sensitive."""
    if referral.kind == ONBOARDED:
        return
    body = desk.directory.find(referral.kind, referral.name, referral.country)
    referral.address(body.name, body.email, case.sensitive, now)
    referral.letter = letters.render(case, referral, desk.worker, desk.letterhead)


def answer_referral(
    uow: Work, case_id: str, referral_id: str, command: dict, now: dt.datetime
) -> Case:
    """The caseworker records a body's answer on one of the case's referrals (who, when, where
    it stands): the same step as an agency's answer over HTTP."""
    data = load(ReferralAnswer(), command)
    case = visible(uow.repository.lock(case_id), uow.actor, case_id)
    case.record_answer(
        referral_id,
        data["status"],
        data["answered_by"],
        data["answered_at"] or now,
        data["note"],
        uow.actor,
        now,
    )
    return case


def letter_mailed(uow: Work, referral_id: str, now: dt.datetime, message_id: str) -> None:
    """The letter reached the body's mail server: the step on the case's referral's thread."""
    referral = uow.repository.referral(referral_id)
    if referral is None or referral.case_id is None:
        return
    case = uow.repository.lock(referral.case_id)
    if case is not None:
        case.letter_mailed(referral_id, now, message_id)


def answer_case(uow: Work, case_id: str, command: dict, now: dt.datetime) -> tuple[Case, Step]:
    """An agency the case was referred to answers where it stands (``uow.actor`` is the agency's
    token); the step it makes. Any other agency, or a case not referred to it: not found. No
    event: the answer is the desk's to act on."""
    data = load(AgencyUpdate(), command)
    case = uow.repository.lock(case_id)
    if case is None:
        raise NotFound(f"kasus tidak ditemukan (no case {case_id})")
    return case, case.answer(data["status"], data["note"], uow.actor, now)


def _typed(details: Mapping | None) -> dict:
    """An outcome's kept details (JSON) as the contract's types: dates, the amount a number."""
    typed = dict(details or {})
    for name in ("returned_on", "died_on", "remains_arrive_on"):
        if typed.get(name) is not None:
            typed[name] = dt.date.fromisoformat(typed[name])
    if typed.get("amount") is not None:
        typed["amount"] = Decimal(typed["amount"])
    return typed


def _publish(uow: Work, case: Case, event_type: str, **data) -> None:
    """An event about ``case``: per worker when it names one, else per case."""
    uow.publish(
        event_type,
        {
            "case_id": case.id,
            "case_type": case.case_type,
            "urgency": case.urgency,
            "sensitive": case.sensitive,
            **data,
        },
        worker_id=case.worker_id,
        stream_id=None if case.worker_id else f"case:{case.id}",
    )


def _who(actor: Mapping | None) -> tuple[str | None, str | None]:
    return (actor.get("role"), actor.get("subject")) if actor else (None, None)


# queries ------------------------------------------------------------------------------------


def list_cases(
    repository: ProtectionRepository, query: dict, actor: Mapping | None, now: dt.datetime
) -> tuple[list[Case], int, int]:
    """The open cases the actor may see, overdue first, then by urgency and age; with how many
    are open and overdue."""
    params = load(ListCases(), query)
    seen_by = _who(actor)
    found = repository.open_cases(
        now=now,
        seen_by=seen_by,
        urgency=params.get("urgency"),
        overdue_only=params["overdue"],
        limit=params["limit"],
    )
    total, overdue = repository.count_open(now=now, seen_by=seen_by)
    return found, total, overdue


def case_overview(
    repository: ProtectionRepository, actor: Mapping | None, now: dt.datetime
) -> tuple[list[Case], dict, list[dict]]:
    """The console's page: the open cases the actor may see (overdue first, then by urgency and
    age), their counts, and the cases opened and resolved in each of the last weeks."""
    seen_by = _who(actor)
    found = repository.open_cases(now=now, seen_by=seen_by, limit=OVERVIEW_LISTED)
    tallies = overview.counts(repository.open_tallies(now=now, seen_by=seen_by))
    received, resolved = repository.moments_since(overview.since(now), seen_by=seen_by)
    return found, tallies, overview.weekly(received, resolved, now)


def get_case(repository: ProtectionRepository, case_id: str, actor: Mapping | None) -> Case:
    return visible(repository.get(case_id), actor, case_id)


def referral_letter(
    repository: ProtectionRepository, case_id: str, referral_id: str, actor: Mapping | None
) -> tuple[Case, Referral]:
    """A referral's letter, for whoever may see the case (to print it, or send it by hand)."""
    case = get_case(repository, case_id, actor)
    referral = case.referral(referral_id)
    if referral.letter is None:
        raise NotFound(
            "rujukan ini tidak memakai surat (this referral has no letter: an onboarded agency "
            "receives it as an event)"
        )
    return case, referral


def get_attachment(
    repository: ProtectionRepository, case_id: str, attachment_id: str, actor: Mapping | None
) -> Attachment:
    """One of a case's files with its content, for whoever may see the case."""
    return get_case(repository, case_id, actor).attachment(attachment_id)


def public_status(repository: ProtectionRepository, number: str, code: str) -> Case:
    """The case a family follows with its number and code. A wrong number and a wrong code get
    the same answer, after the same work."""
    try:
        params = load(PublicLookup(), {"number": number, "code": code})
    except InvalidInput:
        params = {"number": "", "code": ""}
    case = repository.by_number(params["number"]) if params["number"] else None
    if not code_matches(case, params["number"], params["code"]):
        raise _no_such_case()
    assert case is not None  # code_matches is false without a case
    return case


def _no_such_case() -> NotFound:
    return NotFound(
        "kasus tidak ditemukan: periksa nomor dan kode (no case with this number and code)"
    )


COMMANDS = {
    "open_case": open_case,
    "assign_case": assign_case,
    "link_case": link_case,
    "attach_file": attach_file,
    "move_case": move_case,
    "answer_case": answer_case,
    "answer_referral": answer_referral,
}
QUERIES = {
    "list_cases": list_cases,
    "get_case": get_case,
    "get_attachment": get_attachment,
    "referral_letter": referral_letter,
    "case_overview": case_overview,
    "public_status": public_status,
}


def case_reporter(repository: ProtectionRepository, case_id: str) -> dict:
    """Who reported a case, for the notifications service to tell them of its steps: the
    case's number, the reporter's kind and, when one of the worker's family reported, which
    member; never the reporter's name, the summary or the notes."""
    case = repository.get(case_id)
    if case is None:
        raise NotFound(f"kasus tidak ditemukan (no case {case_id})")
    return {
        "case_number": case.number,
        "reporter_kind": case.reporter_kind,
        "family_member_id": case.family_member_id,
    }
