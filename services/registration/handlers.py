"""What registration does: each command, query and incoming event as a plain function.

A command loads its input with a schema, decides with the domain's ``Worker``, stores through
``uow.repository`` and announces what changed through ``uow.publish``; the whole is one unit of
work. The tables at the bottom list every handler.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import fields
from functools import partial

from pmi_common import contract as c
from pmi_common.clock import district_date
from pmi_common.errors import InvalidInput, NotFound, TransitionRefused
from pmi_common.events import Event
from pmi_common.identity import mask_nik, nik_digest
from pmi_common.paging import decode_cursor, page
from pmi_common.unit_of_work import UnitOfWork
from pmi_common.validation import load

from .domain import (
    Details,
    Entry,
    FamilyMember,
    LeftOutsideProcedure,
    PastPlacement,
    TimelineEntry,
    Worker,
    case_timeline_details,
    heirs_among,
    letter_timeline_details,
    returnees_participation,
    timeline_details,
)
from .repository import RegistrationRepository
from .schemas import (
    AddFamilyMember,
    ChangeEmployer,
    ChangeFamilyMember,
    ContractsEnding,
    ExpectReturn,
    ExtendContract,
    ListWorkers,
    RecordDeath,
    RecordDeparture,
    RecordNonProceduralWorker,
    RecordReturn,
    RegisterFormerWorker,
    RegisterWorker,
    UpdateWorker,
    Withdraw,
)

Work = UnitOfWork[RegistrationRepository]
CONTRACT_ENDING_BATCH = 200  # workers one transaction of the contract check announces, at most
CASE_REPATRIATED, CASE_DECEASED = "repatriated", "deceased_remains_repatriated"  # outcomes
REPATRIATED_REASON = "repatriated"  # the return's reason when the state brought the worker home


# commands ----------------------------------------------------------------------------------


def register_worker(
    uow: Work, command: dict, now: dt.datetime, today: dt.date | None = None
) -> Worker:
    """A person registers for a migration: the first time, or again after the last one ended.
    ``today``: the district's day (``Clock.today()``), WIB's by default."""
    data = load(RegisterWorker(today=today or district_date(now)), command)
    nik = data["nik"]
    details = Details(**{field.name: data[field.name] for field in fields(Details)})
    uow.repository.lock_registrations_of(nik)
    worker = uow.repository.lock_worker_with_nik(nik)
    if worker is None:
        worker = Worker.register(str(uuid.uuid4()), nik, nik_digest(nik), details, now)
        uow.repository.add_worker(worker)
    else:
        worker.register_again(details, now)
    _registered(uow, worker)
    _announce(uow, worker)
    return worker


def register_former_worker(uow: Work, command: dict, now: dt.datetime, today: dt.date) -> Worker:
    """A former worker (mantan PMI), abroad before the platform followed them, registered with
    the placement as far as it is known: a returnee from the start, without the pre-departure
    gates."""
    data = load(RegisterFormerWorker(today=today), command)
    placement = PastPlacement(
        data["destination_country"],
        data["from_year"],
        data["to_year"],
        data["employer"],
        data["source"],
    )
    worker = _register_outside(uow, data, placement, now, today)
    former = {**placement.described(), "occupation": worker.occupation}
    _publish_noted(uow, worker, c.FORMER_WORKER_REGISTERED, former)
    return worker


def record_non_procedural_worker(
    uow: Work, command: dict, now: dt.datetime, today: dt.date
) -> Worker:
    """A worker who left outside the procedure, recorded abroad with what is known of it: they
    may return and be reintegrated like any other. The family's account stays off the timeline."""
    data = load(RecordNonProceduralWorker(today=today), command)
    abroad = LeftOutsideProcedure(
        data["destination_country"],
        data["left_on"],
        data["employer"],
        data["family_account"],
        data["source"],
    )
    worker = _register_outside(uow, data, abroad, now, today)
    known = {
        "country": abroad.country,
        "left_on": abroad.left_on,
        "employer": abroad.employer,
        "occupation": worker.occupation,
        "source": abroad.source,
    }
    recorded = uow.publish(
        c.NON_PROCEDURAL_WORKER_RECORDED,
        {**known, "family_account": abroad.family_account, "cycle": worker.cycle},
        worker_id=worker.id,
    )
    _note(uow, worker, recorded, _dates(known))
    return worker


def _register_outside(
    uow: Work, data: dict, entry: Entry, now: dt.datetime, today: dt.date
) -> Worker:
    """A person on record without the procedure's gates: new, or a new cycle of one whose last
    cycle ended; announced as registered, then the status it enters."""
    nik = data["nik"]
    details = Details(**{field.name: data[field.name] for field in fields(Details)})
    uow.repository.lock_registrations_of(nik)
    worker = uow.repository.lock_worker_with_nik(nik)
    if worker is None:
        worker = Worker.register_outside(
            str(uuid.uuid4()), nik, nik_digest(nik), details, entry, now, today
        )
        uow.repository.add_worker(worker)
    else:
        worker.register_again(details, now, entry, today)
    _registered(uow, worker)
    _announce(uow, worker)
    return worker


def _registered(uow: Work, worker: Worker) -> None:
    registered = uow.publish(
        c.WORKER_REGISTERED,
        {
            "nik_masked": mask_nik(worker.nik),
            "nik_digest": worker.nik_digest,
            "full_name": worker.full_name,
            "sex": worker.sex,
            "regency": worker.regency,
            "destination_country": worker.destination_country,
            "occupation": worker.occupation,
            "placement_agency": worker.placement_agency,
            "cycle": worker.cycle,
            # for the planning office's figures: the age band of each month, the village
            "birth_year": worker.birth_year,
            "village_code": worker.village_code,
        },
        worker_id=worker.id,
    )
    _note(uow, worker, registered, {"cycle": worker.cycle})


def update_worker(uow: Work, worker_id: str, command: dict, now: dt.datetime) -> Worker:
    """New contact details, or the worker's BPJS membership number."""
    data = load(UpdateWorker(), command)
    worker = _locked(uow, worker_id)
    if "phone" in data:
        worker.phone = data["phone"]
    if "address" in data:
        worker.set_address(data["address"])
    if "bpjs_number" in data and worker.bpjs_recorded(data["bpjs_number"]):
        uow.repository.add_entry(
            TimelineEntry.about(
                worker,
                "bpjs_number_recorded",
                c.REGISTRATION,
                now,
                actor=uow.actor,
                correlation_id=uow.correlation_id,
            )
        )
    worker.updated_at = now
    _announce(uow, worker)
    return worker


def record_departure(
    uow: Work, worker_id: str, command: dict, now: dt.datetime, today: dt.date, horizon_days: int
) -> Worker:
    data = load(RecordDeparture(today=today, horizon_days=horizon_days), command)
    worker = _locked(uow, worker_id)
    worker.depart(
        data["departed_on"],
        data["employer"],
        data["destination_country"],
        today,
        data["contract_starts_on"],
        data["contract_ends_on"],
    )
    worker.updated_at = now
    departure = {key: data[key] for key in ("departed_on", "destination_country", "employer")}
    departed = uow.publish(
        c.WORKER_DEPARTED, {**departure, "cycle": worker.cycle}, worker_id=worker.id
    )
    _note(uow, worker, departed, _dates(departure))
    contract = {
        "employer": worker.employer,
        "occupation": worker.occupation,
        "sector": worker.sector,
        "starts_on": worker.contract_starts_on,
        "ends_on": worker.contract_ends_on,
        "expected_return_on": worker.expected_return_on,
    }
    recorded = uow.publish(
        c.CONTRACT_RECORDED, {**contract, "cycle": worker.cycle}, worker_id=worker.id
    )
    _note(uow, worker, recorded, _dates(contract))
    _announce(uow, worker)
    return worker


def extend_contract(uow: Work, worker_id: str, command: dict, now: dt.datetime) -> Worker:
    """The contract abroad runs longer: its new end, when the worker is now expected home."""
    data = load(ExtendContract(), command)
    worker = _locked(uow, worker_id)
    previous = worker.extend_contract(data["ends_on"])
    worker.updated_at = now
    extended = {"previous_ends_on": previous, "ends_on": worker.contract_ends_on}
    _publish_noted(uow, worker, c.CONTRACT_EXTENDED, extended)
    return worker


def change_employer(
    uow: Work, worker_id: str, command: dict, now: dt.datetime, today: dt.date
) -> Worker:
    """A worker abroad works for another employer from ``changed_on``, for ``reason``."""
    data = load(ChangeEmployer(today=today), command)
    worker = _locked(uow, worker_id)
    previous = worker.change_employer(data["employer"], data["changed_on"], data["occupation"])
    worker.updated_at = now
    changed = {
        "previous_employer": previous,
        "employer": worker.employer,
        "changed_on": data["changed_on"],
        "reason": data["reason"],
        "occupation": worker.occupation,
        "sector": worker.sector,
    }
    _publish_noted(uow, worker, c.EMPLOYER_CHANGED, changed)
    return worker


def expect_return(uow: Work, worker_id: str, command: dict, now: dt.datetime) -> Worker:
    data = load(ExpectReturn(), command)
    worker = _locked(uow, worker_id)
    worker.expect_return(data["expected_return_on"])
    worker.updated_at = now
    _publish_noted(
        uow, worker, c.RETURN_EXPECTED, {"expected_return_on": worker.expected_return_on}
    )
    return worker


def announce_contracts_ending(
    uow: Work, today: dt.date, notice_days: int, batch: int = CONTRACT_ENDING_BATCH
) -> int:
    """Announce the coming home of (up to ``batch``) workers abroad whose contract ends within
    ``notice_days`` of ``today`` (the district's day): ``contract_ending``, once per end date,
    on the timeline; how many were announced. Run again until it announces none: a worker is
    announced once for an end date, even when two instances check at once; an extension's new
    date is announced when it comes within the notice. A worker who returned or died, or whose
    contract is already past, is not announced."""
    by = today + dt.timedelta(days=notice_days)
    announced = 0
    for worker in uow.repository.lock_contracts_ending_unannounced(today, by, batch):
        days_left = worker.announce_contract_ending(today, notice_days)
        if days_left is None:
            continue
        ending = {"ends_on": worker.contract_ends_on, "days_left": days_left}
        _publish_noted(uow, worker, c.CONTRACT_ENDING, ending)
        announced += 1
    return announced


# the family ------------------------------------------------------------------------------------


def add_family_member(uow: Work, worker_id: str, command: dict, now: dt.datetime) -> FamilyMember:
    data = load(AddFamilyMember(), command)
    worker = _locked(uow, worker_id)
    member = FamilyMember.add(str(uuid.uuid4()), worker.id, data, now)
    uow.repository.add_family_member(member)
    added = uow.publish(c.FAMILY_MEMBER_ADDED, member.described(), worker_id=worker.id)
    _note(uow, worker, added, member.noted())
    return member


def change_family_member(
    uow: Work, worker_id: str, member_id: str, command: dict, now: dt.datetime
) -> FamilyMember:
    """New details of a family member; nothing is announced when nothing changed."""
    data = load(ChangeFamilyMember(), command)
    worker, member = _member(uow, worker_id, member_id)
    changed = member.change(data, now)
    if changed:
        envelope = uow.publish(
            c.FAMILY_MEMBER_CHANGED,
            {**member.described(), "changed": changed},
            worker_id=worker.id,
        )
        _note(uow, worker, envelope, {**member.noted(), "changed": changed})
    return member


def remove_family_member(
    uow: Work, worker_id: str, member_id: str, now: dt.datetime
) -> FamilyMember:
    """The member leaves the record; the timeline keeps only that someone was removed."""
    worker, member = _member(uow, worker_id, member_id)
    uow.repository.remove_family_member(member)
    removed = {"member_id": member.id, "relation": member.relation}
    envelope = uow.publish(c.FAMILY_MEMBER_REMOVED, removed, worker_id=worker.id)
    _note(uow, worker, envelope, removed)
    return member


def record_return(
    uow: Work, worker_id: str, command: dict, now: dt.datetime, today: dt.date
) -> Worker:
    data = load(RecordReturn(today=today), command)
    worker = _locked(uow, worker_id)
    worker.return_home(data["returned_on"], data["reason"])
    worker.updated_at = now
    _returned(uow, worker)
    _announce(uow, worker)
    return worker


def _returned(uow: Work, worker: Worker) -> None:
    """Announce the return the worker has just made, and note it on the timeline."""
    assert worker.returned_on is not None and worker.return_reason is not None
    returned = uow.publish(
        c.WORKER_RETURNED,
        {
            "returned_on": worker.returned_on,
            "reason": worker.return_reason,
            "cycle": worker.cycle,
        },
        worker_id=worker.id,
    )
    _note(
        uow,
        worker,
        returned,
        {"returned_on": worker.returned_on.isoformat(), "reason": worker.return_reason},
    )


def record_death(
    uow: Work, worker_id: str, command: dict, now: dt.datetime, today: dt.date
) -> Worker:
    """The worker died: final. The heirs are named from the worker's family list; the timeline
    keeps who they are to the worker, never their names."""
    data = load(RecordDeath(today=today), command)
    worker = _locked(uow, worker_id)
    heirs = heirs_among(uow.repository.family_of(worker.id), data["heirs"])
    worker.die(
        data["died_on"],
        data["country"],
        data["cause"],
        data["remains_repatriated"],
        data["remains_arrive_on"],
        heirs,
    )
    worker.updated_at = now
    _died(uow, worker, heirs)
    _announce(uow, worker)
    return worker


def _died(uow: Work, worker: Worker, heirs: list[FamilyMember]) -> None:
    """Announce the death just recorded, and note it on the timeline (the heirs by relation)."""
    death = {
        "died_on": worker.died_on,
        "country": worker.death_country,
        "cause": worker.death_cause,
        "remains_repatriated": worker.remains_repatriated,
        "remains_arrive_on": worker.remains_arrive_on,
        "heirs": [{"member_id": heir.id, "relation": heir.relation} for heir in heirs],
    }
    names = [{"member_id": heir.id, "full_name": heir.full_name} for heir in heirs]
    died = uow.publish(
        c.WORKER_DIED, {**death, "heir_names": names, "cycle": worker.cycle}, worker_id=worker.id
    )
    _note(uow, worker, died, _dates(death))


def withdraw_worker(uow: Work, worker_id: str, command: dict, now: dt.datetime) -> Worker:
    data = load(Withdraw(), command)
    worker = _locked(uow, worker_id)
    worker.withdraw(data["reason"])
    worker.updated_at = now
    _announce(uow, worker)
    return worker


# events from the other services: each goes on the worker's timeline ---------------------------


def on_documents_changed(uow: Work, event: Event, today: dt.date | None = None) -> Worker:
    """A document submitted, verified, rejected or expired, or the set complete."""
    worker = _noted(uow, event)
    data = event.data
    complete = event.event_type == c.DOCUMENTS_COMPLETED or data.get("checklist_complete", False)
    worker.documents_changed(
        complete,
        event.sequence,
        _reason(event),
        valid_until=data.get("earliest_expiry"),
        today=today,
    )
    return _applied(uow, worker, event)


def on_orientation_completed(uow: Work, event: Event, today: dt.date | None = None) -> Worker:
    worker = _noted(uow, event)
    worker.orientation_done(_reason(event), today=today)
    return _applied(uow, worker, event)


def on_reintegration_enrolled(uow: Work, event: Event, today: dt.date | None = None) -> Worker:
    worker = _noted(uow, event)
    if _returnees(uow, worker, event):
        worker.reintegration_enrolled()
    return _applied(uow, worker, event)


def on_reintegration_completed(uow: Work, event: Event, today: dt.date | None = None) -> Worker:
    worker = _noted(uow, event)
    if _returnees(uow, worker, event):
        worker.reintegration_completed()
    return _applied(uow, worker, event)


def on_noted(uow: Work, event: Event, today: dt.date | None = None) -> Worker:
    """An event that only goes on the timeline (an enrolment in or a release from an orientation
    session, a round of a reintegration programme, a passport or visa lapsed abroad)."""
    return _applied(uow, _noted(uow, event), event)


def on_case_event(uow: Work, event: Event, today: dt.date | None = None) -> Worker | None:
    """A step of a protection case about a registered worker, on the timeline with only what is
    not sensitive (``case_timeline_details``). A case about someone not registered is nobody's
    record yet: nothing to do until it is linked."""
    if event.worker_id is None:
        return None
    return _applied(uow, _case_noted(uow, event), event)


def on_case_outcome(uow: Work, event: Event, today: dt.date | None = None) -> Worker | None:
    """How a case about a registered worker ended, on the timeline; a repatriation records the
    worker's return (reason ``repatriated``), a death the worker's death, her heirs those her
    family list marks as heirs (as the desk would name them recording the death itself). An
    outcome the record cannot take (a worker not
    abroad, already deceased) moves nothing: the timeline says why, the event is not retried."""
    if event.worker_id is None:
        return None
    worker = _locked(uow, event.worker_id)
    data, moved, refused = event.data, None, None
    try:
        if data["outcome"] == CASE_REPATRIATED:
            worker.return_home(data["returned_on"], REPATRIATED_REASON)
            moved = _returned
        elif data["outcome"] == CASE_DECEASED:
            heirs = [m for m in uow.repository.family_of(worker.id) if m.heir]
            worker.die(
                data["died_on"],
                data["died_in"],
                data["death_cause"],
                True,
                data["remains_arrive_on"],
                heirs,
            )
            moved = partial(_died, heirs=heirs)
    except (TransitionRefused, InvalidInput) as exc:
        refused = exc.message
    _case_noted(uow, event, worker, not_applied=refused)
    if moved is not None:
        moved(uow, worker)
    return _applied(uow, worker, event)


def on_letter_event(uow: Work, event: Event, today: dt.date | None = None) -> Worker:
    """A Go-TKI letter's step, on the worker's timeline with its type, number and status."""
    worker = _noted(uow, event, letter_timeline_details(event.event_type, event.data))
    return _applied(uow, worker, event)


def _case_noted(
    uow: Work, event: Event, worker: Worker | None = None, not_applied: str | None = None
) -> Worker:
    details = case_timeline_details(event.event_type, event.data)
    if not_applied is not None:
        details["not_applied"] = not_applied
    return _noted(uow, event, details, worker)


# queries -----------------------------------------------------------------------------------


def identify_worker(repository: RegistrationRepository, nik: str, phone: str) -> str | None:
    """The id of the worker with this NIK and this phone on record, or None (no such worker,
    another phone, or a record no one signs in with)."""
    worker = repository.worker_with_nik(str(nik).strip())
    return worker.id if worker is not None and worker.answers_to(str(phone)) else None


def get_worker(repository: RegistrationRepository, worker_id: str) -> Worker:
    worker = repository.get_worker(worker_id)
    if worker is None:
        raise NotFound(f"no worker {worker_id}")
    return worker


def contacts_of(repository: RegistrationRepository, worker_ids: list[str]) -> dict[str, dict]:
    """What a service that writes to workers needs of each of them, and nothing more: her
    phone, her name and her status (whether she has died). Workers not found are left out."""
    found = {}
    for worker_id in dict.fromkeys(worker_ids):
        worker = repository.get_worker(worker_id)
        if worker is not None:
            found[worker_id] = {
                "phone": worker.phone,
                "full_name": worker.full_name,
                "status": worker.status,
            }
    return found


def list_workers(
    repository: RegistrationRepository, query: dict
) -> tuple[list[Worker], str | None]:
    """A page of workers, filtered; ``next_cursor`` continues after it."""
    params = load(ListWorkers(), query)
    after = decode_cursor(params["cursor"], (str,))[0] if params.get("cursor") else None
    filters = {
        key: params.get(key)
        for key in ("stage", "status", "regency", "destination_country", "placement_agency")
    }
    rows = repository.list_workers(params["limit"] + 1, after, **filters)
    return page(rows, params["limit"], key=lambda worker: (worker.id,))


def worker_events(repository: RegistrationRepository, worker_id: str) -> list[dict]:
    """The worker's events as this service published (or is about to publish) them, oldest
    first: how another service meets a worker whose news has not reached it yet."""
    return repository.worker_events(worker_id)


def contracts_ending(
    repository: RegistrationRepository, query: dict, today: dt.date
) -> tuple[list[Worker], str | None]:
    """The reintegration desk's outreach list: workers abroad whose contract ends within
    ``within_days`` of ``today`` (or has ended without a return recorded), soonest first."""
    params = load(ContractsEnding(), query)
    after = decode_cursor(params["cursor"], (dt.date, str)) if params.get("cursor") else None
    by = today + dt.timedelta(days=params["within_days"])
    rows = repository.contracts_ending(by, params["limit"] + 1, after)
    return page(rows, params["limit"], key=lambda worker: (worker.contract_ends_on, worker.id))


def family_of(repository: RegistrationRepository, worker_id: str) -> list[FamilyMember]:
    get_worker(repository, worker_id)
    return repository.family_of(worker_id)


def get_timeline(repository: RegistrationRepository, worker_id: str) -> list[TimelineEntry]:
    get_worker(repository, worker_id)
    return repository.timeline(worker_id)


def get_stats(repository: RegistrationRepository) -> dict:
    return repository.stats()


# the steps the handlers share ----------------------------------------------------------------


def _locked(uow: Work, worker_id: str | None) -> Worker:
    worker = uow.repository.lock_worker(worker_id)
    if worker is None:
        raise NotFound(f"no worker {worker_id}")
    return worker


def _member(uow: Work, worker_id: str, member_id: str) -> tuple[Worker, FamilyMember]:
    worker = _locked(uow, worker_id)
    member = uow.repository.get_family_member(worker.id, member_id)
    if member is None:
        raise NotFound(f"no family member {member_id} of worker {worker_id}")
    return worker, member


def _publish_noted(uow: Work, worker: Worker, event_type: str, data: dict) -> None:
    """Publish one of the worker's events of the current cycle and note it on the timeline."""
    envelope = uow.publish(event_type, {**data, "cycle": worker.cycle}, worker_id=worker.id)
    _note(uow, worker, envelope, _dates(data))


def _dates(data: dict) -> dict:
    """Timeline details: dates as ISO text."""
    return {
        key: (value.isoformat() if isinstance(value, dt.date) else value)
        for key, value in data.items()
    }


def _noted(
    uow: Work, event: Event, details: dict | None = None, worker: Worker | None = None
) -> Worker:
    """The worker the event is about, with the event on its timeline: ``details`` (by default
    the event's data, as the timeline keeps it)."""
    worker = worker or _locked(uow, event.worker_id)
    uow.repository.add_entry(
        TimelineEntry.about(
            worker,
            event.event_type,
            event.source,
            event.occurred_at,
            event_id=event.event_id,
            actor=event.actor,
            correlation_id=event.correlation_id,
            details=timeline_details(event.data) if details is None else details,
        )
    )
    return worker


def _applied(uow: Work, worker: Worker, event: Event) -> Worker:
    worker.updated_at = event.occurred_at
    _announce(uow, worker, cause=event)
    return worker


def _returnees(uow: Work, worker: Worker, event: Event) -> bool:
    return returnees_participation(
        worker,
        event.data["participant_kind"],
        event.occurred_at,
        uow.repository.return_recorded_at(worker.id, worker.cycle),
    )


def _reason(event: Event) -> str:
    document_type = event.data.get("document_type")
    return f"{event.event_type}:{document_type}" if document_type else event.event_type


def _announce(uow: Work, worker: Worker, cause: Event | None = None) -> None:
    """Publish each status change the worker made; its timeline entry names the event that
    caused it, if any."""
    details = (
        {
            "caused_by": {
                "event_id": cause.event_id,
                "event_type": cause.event_type,
                "source": cause.source,
            }
        }
        if cause
        else {}
    )
    for change in worker.take_changes():
        envelope = uow.publish(
            c.WORKER_STATUS_CHANGED,
            {
                "from_status": change.from_status,
                "to_status": change.to_status,
                "stage": change.stage,
                "reason": change.reason,
                "cycle": worker.cycle,
            },
            worker_id=worker.id,
        )
        _note(uow, worker, envelope, details, change)


def _note(uow: Work, worker: Worker, envelope: dict, details: dict, change=None) -> None:
    """One timeline entry for an event this service publishes."""
    uow.repository.add_entry(
        TimelineEntry.about(
            worker,
            envelope["event_type"],
            envelope["source"],
            dt.datetime.fromisoformat(envelope["occurred_at"]),
            event_id=envelope["event_id"],
            actor=envelope["actor"],
            correlation_id=envelope["correlation_id"],
            details=details,
            change=change,
        )
    )


COMMANDS = {
    "register_worker": register_worker,
    "register_former_worker": register_former_worker,
    "record_non_procedural_worker": record_non_procedural_worker,
    "update_worker": update_worker,
    "record_departure": record_departure,
    "record_return": record_return,
    "withdraw_worker": withdraw_worker,
    "record_death": record_death,
    "extend_contract": extend_contract,
    "change_employer": change_employer,
    "expect_return": expect_return,
    "announce_contracts_ending": announce_contracts_ending,
    "add_family_member": add_family_member,
    "change_family_member": change_family_member,
    "remove_family_member": remove_family_member,
}
QUERIES = {
    "get_worker": get_worker,
    "list_workers": list_workers,
    "contracts_ending": contracts_ending,
    "family_of": family_of,
    "worker_events": worker_events,
    "get_timeline": get_timeline,
    "get_stats": get_stats,
}
EVENTS = {
    **dict.fromkeys(
        (
            c.DOCUMENT_SUBMITTED,
            c.DOCUMENT_VERIFIED,
            c.DOCUMENT_REJECTED,
            c.DOCUMENT_EXPIRED,
            c.DOCUMENTS_COMPLETED,
        ),
        on_documents_changed,
    ),
    c.ORIENTATION_COMPLETED: on_orientation_completed,
    c.REINTEGRATION_ENROLLED: on_reintegration_enrolled,
    c.REINTEGRATION_COMPLETED: on_reintegration_completed,
    **dict.fromkeys(
        (
            c.CASE_OPENED,
            c.CASE_ASSIGNED,
            c.CASE_STATUS_CHANGED,
            c.CASE_RESOLVED,
            c.CASE_LINKED,
        ),
        on_case_event,
    ),
    c.CASE_OUTCOME_RECORDED: on_case_outcome,
    **dict.fromkeys(
        (c.LETTER_REQUESTED, c.LETTER_ACKNOWLEDGED, c.LETTER_ISSUED, c.LETTER_REVOKED),
        on_letter_event,
    ),
    **dict.fromkeys(
        (
            c.ORIENTATION_ENROLLED,
            c.ORIENTATION_RELEASED,
            c.REINTEGRATION_ROUND_RECORDED,
            c.DOCUMENT_LAPSED_ABROAD,
        ),
        on_noted,
    ),
}
