"""The worker's record and the lifecycle of a migration, as plain Python.

A ``Worker`` is what registration stores about a person: who they are, the current migration
cycle, and the facts that decide the status. The pre-departure statuses follow from facts
(documents complete, orientation done, BPJS number on file), so facts may arrive in any order and
the status still moves through the gates in order, and falls back to ``registered`` when the
documents stop being complete. Departure, return and withdrawal are commands with gates;
reintegration moves a returnee on. Each status change is kept in ``changes`` until it is
announced.

While the worker is abroad the record follows the contract: its start and end, the employer and
the sector (formal or informal, from the occupation), an extension, a change of employer and the
expected return. A ``FamilyMember`` is one of the worker's family or emergency contacts.

A death is recorded from any status and is final (``deceased``): nothing moves the worker on
afterwards, and the NIK cannot be registered again. Its heirs are members of the worker's family.

A former worker (*mantan PMI*, abroad before the platform followed them) is registered with a
``PastPlacement`` straight into ``returned``, without the pre-departure gates: a returnee like any
other from then on. A worker who left outside the procedure is recorded with what is known of it
(``LeftOutsideProcedure``) straight into ``departed``, flagged non-procedural: they return and are
reintegrated like any other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pmi_common.errors import DuplicateRegistration, InvalidInput, TransitionRefused
from pmi_common.lifecycle import (
    CLEARED,
    DECEASED,
    DEPARTED,
    DOCUMENTS_VERIFIED,
    ENDED,
    FINAL,
    IN_REINTEGRATION,
    ORIENTATION_COMPLETED,
    PRE_DEPARTURE,
    REGISTERED,
    REINTEGRATED,
    RETURNED,
    STAGE,
    WITHDRAWN,
)
from pmi_common.sectors import FORMAL, INFORMAL, INFORMAL_OCCUPATIONS, sector_of  # noqa: F401 - the record's words

MINIMUM_AGE = 18  # UU 18/2017: a migrant worker is at least 18
# a worker abroad is announced as due home (``contract_ending``) this long before the contract
# ends: the reintegration desk's outreach and the family's message start then
CONTRACT_ENDING_NOTICE_DAYS = 60


def age_problem(birth_date: dt.date, today: dt.date) -> str | None:
    """Why a person born on ``birth_date`` may not register ``today``, or None."""
    if birth_date > today:
        return "must not be in the future"
    age = (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )
    if age < MINIMUM_AGE:
        return f"the worker must be {MINIMUM_AGE} or older (is {age})"
    return None


def may_register_again(status: str) -> bool:
    return status in ENDED


def _check_contract(departed_on: dt.date, starts_on: dt.date, ends_on: dt.date | None) -> None:
    problems = {}
    if starts_on < departed_on:
        problems["contract_starts_on"] = [f"must not be before the departure {departed_on}"]
    if ends_on is not None and ends_on <= starts_on:
        problems["contract_ends_on"] = [f"must be after the contract's start {starts_on}"]
    if problems:
        raise InvalidInput("the contract's dates do not fit", problems)


def _check_entry(entry: Entry, birth_date: dt.date, today: dt.date) -> None:
    problems = entry.problems(birth_date, today)
    if problems:
        raise InvalidInput(f"the {entry.what} does not fit", problems)


@dataclass(frozen=True)
class StatusChange:
    from_status: str | None
    to_status: str
    reason: str

    @property
    def stage(self) -> str:
        return STAGE[self.to_status]


@dataclass(frozen=True)
class PastPlacement:
    """A former worker's placement abroad as far as it is known: the country, the years, the
    employer when known, and who told the desk."""

    country: str
    from_year: int
    to_year: int
    employer: str | None
    source: str

    what = "past placement"
    status = RETURNED
    reason = "former_worker_registered"

    def enter(self, worker: Worker) -> None:
        worker.destination_country, worker.employer = self.country, self.employer
        worker.past_placement = self.described()

    def problems(self, birth_date: dt.date, today: dt.date) -> dict[str, list[str]]:
        problems = {}
        if self.to_year > today.year:
            problems["to_year"] = [f"must not be after this year ({today.year})"]
        if self.to_year < self.from_year:
            problems["to_year"] = [f"must not be before from_year ({self.from_year})"]
        if self.from_year <= birth_date.year:
            problems["from_year"] = [f"must be after the birth year ({birth_date.year})"]
        return problems

    def described(self) -> dict:
        return {
            "country": self.country,
            "from_year": self.from_year,
            "to_year": self.to_year,
            "employer": self.employer,
            "source": self.source,
        }


@dataclass(frozen=True)
class LeftOutsideProcedure:
    """A worker abroad who left outside the procedure (non-procedural), as the family or another
    source knows it: the country, when they left and the employer if known, and the account."""

    country: str
    left_on: dt.date | None
    employer: str | None
    family_account: str | None
    source: str

    what = "time abroad"
    status = DEPARTED
    reason = "non_procedural_recorded"

    def enter(self, worker: Worker) -> None:
        worker.destination_country, worker.employer = self.country, self.employer
        worker.departed_on, worker.non_procedural = self.left_on, True
        worker.family_account = self.family_account
        worker.sector = sector_of(worker.occupation) if worker.occupation else None

    def problems(self, birth_date: dt.date, today: dt.date) -> dict[str, list[str]]:
        if self.left_on is not None and self.left_on > today:
            return {"left_on": [f"must not be in the future (today is {today})"]}
        if self.left_on is not None and self.left_on <= birth_date:
            return {"left_on": [f"must be after the birth date {birth_date}"]}
        return {}


# how a person comes on record other than by registering for a migration
Entry = PastPlacement | LeftOutsideProcedure


@dataclass(frozen=True)
class Details:
    """Who the person is and where they are going, as given at registration."""

    full_name: str
    birth_date: dt.date
    sex: str
    phone: str
    address: dict
    destination_country: str
    occupation: str
    placement_agency: str


@dataclass(eq=False)
class Worker:
    """A person's record: the current migration cycle, its status and the facts that decide it."""

    id: str = ""
    nik: str = ""
    nik_digest: str = ""
    full_name: str = ""
    birth_date: dt.date | None = None
    sex: str = ""
    phone: str = ""
    address: dict = field(default_factory=dict)
    regency: str = ""
    destination_country: str = ""
    occupation: str = ""
    placement_agency: str = ""
    cycle: int = 1
    status: str = REGISTERED
    stage: str = STAGE[REGISTERED]
    documents_complete: bool = False
    documents_sequence: int = 0
    # the earliest expiry among the complete set's documents
    documents_valid_until: dt.date | None = None
    orientation_completed: bool = False
    bpjs_number: str | None = None
    departed_on: dt.date | None = None
    employer: str | None = None
    # the contract abroad (recorded with the departure, followed while abroad)
    contract_starts_on: dt.date | None = None
    contract_ends_on: dt.date | None = None
    sector: str | None = None
    expected_return_on: dt.date | None = None
    # the contract end the worker's coming home was last announced for (``contract_ending``)
    contract_ending_announced_for: dt.date | None = None
    returned_on: dt.date | None = None
    return_reason: str | None = None
    # a death (final): when, where, the cause's category, the remains, the heirs' member ids
    died_on: dt.date | None = None
    death_country: str | None = None
    death_cause: str | None = None
    remains_repatriated: bool | None = None
    remains_arrive_on: dt.date | None = None
    heirs: list = field(default_factory=list)
    # a former worker's placement before the platform (country, years, employer, source)
    past_placement: dict | None = None
    # abroad outside the procedure (non-procedural), and what the family knows of it
    non_procedural: bool = False
    family_account: str | None = None
    registered_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    # the status changes not yet announced (not stored)
    changes: list[StatusChange] = field(default_factory=list)

    # signing in to the worker's app -----------------------------------------------------------

    def answers_to(self, phone: str) -> bool:
        """Whether ``phone`` is the number on record (0812..., 62812... and +62812... alike); a
        deceased worker's record signs no one in."""
        return self.status != DECEASED and bool(self.phone) and same_phone(self.phone, phone)

    # registration ------------------------------------------------------------------------

    @classmethod
    def register(
        cls, id: str, nik: str, nik_digest: str, details: Details, now: dt.datetime
    ) -> Worker:
        """A person registering for the first time: the first migration cycle."""
        worker = cls(id=id, nik=nik, nik_digest=nik_digest, registered_at=now, updated_at=now)
        worker._describe(details)
        worker.changes.append(StatusChange(None, REGISTERED, "registered"))
        return worker

    @classmethod
    def register_outside(
        cls,
        id: str,
        nik: str,
        nik_digest: str,
        details: Details,
        entry: Entry,
        now: dt.datetime,
        today: dt.date,
    ) -> Worker:
        """A person the procedure did not follow: a former worker (``PastPlacement``, straight
        into ``returned``) or one who left outside it (``LeftOutsideProcedure``, straight into
        ``departed``), without the pre-departure gates."""
        _check_entry(entry, details.birth_date, today)
        worker = cls(id=id, nik=nik, nik_digest=nik_digest, registered_at=now, updated_at=now)
        worker._describe(details)
        entry.enter(worker)
        worker.changes.append(StatusChange(None, entry.status, entry.reason))
        worker.status, worker.stage = entry.status, STAGE[entry.status]
        return worker

    def register_again(
        self,
        details: Details,
        now: dt.datetime,
        entry: Entry | None = None,
        today: dt.date | None = None,
    ) -> None:
        """The same person registering for a new migration, once the previous one has ended;
        while it is under way, the NIK is taken; a deceased worker's NIK is never free again."""
        if self.status in FINAL:
            raise DuplicateRegistration(
                f"this NIK belongs to worker {self.id}, recorded as {self.status}: it cannot be "
                "registered again",
                {"worker_id": self.id, "status": self.status},
            )
        if not may_register_again(self.status):
            raise DuplicateRegistration(
                f"this NIK is already registered to worker {self.id}, who is {self.status}",
                {"worker_id": self.id, "status": self.status},
            )
        if entry is not None:
            _check_entry(entry, details.birth_date, today or now.date())
        previous = self.status
        self.cycle += 1
        self.registered_at = now
        self.documents_complete = False
        self.documents_valid_until = None
        self.orientation_completed = False
        self.bpjs_number = None
        self.departed_on = self.employer = None
        self.contract_starts_on = self.contract_ends_on = self.expected_return_on = None
        self.contract_ending_announced_for = None
        self.sector = None
        self.returned_on = self.return_reason = None
        self.past_placement = self.family_account = None
        self.non_procedural = False
        self._describe(details)
        self.updated_at = now
        if entry is None:
            self._move(REGISTERED, f"registered_again_after:{previous}")
        else:  # a time abroad the procedure did not follow
            entry.enter(self)
            self._move(entry.status, f"{entry.reason}_after:{previous}")

    def _describe(self, details: Details) -> None:
        self.full_name = details.full_name
        self.birth_date = details.birth_date
        self.sex = details.sex
        self.phone = details.phone
        self.set_address(details.address)
        self.destination_country = details.destination_country
        self.occupation = details.occupation
        self.placement_agency = details.placement_agency

    def set_address(self, address: dict) -> None:
        """The address as given (blank parts left out); the worker is counted in its regency."""
        self.address = {key: value for key, value in address.items() if value is not None}
        self.regency = address["regency"].strip()

    @property
    def birth_year(self) -> int:
        """The year of birth alone: what the planning office's figures band ages by."""
        if self.birth_date is None:
            raise ValueError("a worker on record has a birth date")
        return self.birth_date.year

    @property
    def village_code(self) -> str | None:
        """The village's code (kode wilayah) of the address, if it names one."""
        return self.address.get("village_code")

    # facts from other services -------------------------------------------------------------

    def documents_changed(
        self,
        complete: bool,
        sequence: int,
        reason: str,
        valid_until: dt.date | None = None,
        today: dt.date | None = None,
    ) -> None:
        """The documents service says the set is (or is no longer) complete, as of ``sequence``
        of its events for this worker, and (when it becomes complete) until when its documents
        are all valid; an older word than the last one applied changes nothing. ``today``: the
        district's day, for documents that lapsed before the documents service said so."""
        if sequence <= self.documents_sequence:
            return
        self.documents_sequence = sequence
        self.documents_complete = complete
        if valid_until is not None or not complete:
            self.documents_valid_until = valid_until
        self._settle(reason, today)

    def orientation_done(self, reason: str, today: dt.date | None = None) -> None:
        self.orientation_completed = True
        self._settle(reason, today)

    def bpjs_recorded(self, bpjs_number: str, today: dt.date | None = None) -> bool:
        """False when that number was on file already: nothing to record."""
        if bpjs_number == self.bpjs_number:
            return False
        self.bpjs_number = bpjs_number
        self._settle("bpjs_number_recorded", today)
        return True

    def reintegration_enrolled(self) -> bool:
        """True when this moved a returnee on; a prospective worker's status does not change."""
        if self.status != RETURNED:
            return False
        self._move(IN_REINTEGRATION, "reintegration_enrolled")
        return True

    def reintegration_completed(self) -> bool:
        if self.status == RETURNED:
            self._move(IN_REINTEGRATION, "reintegration_enrolled")
        if self.status != IN_REINTEGRATION:
            return False
        self._move(REINTEGRATED, "reintegration_completed")
        return True

    # commands ----------------------------------------------------------------------------

    def depart(
        self,
        departed_on: dt.date,
        employer: str,
        destination_country: str,
        today: dt.date | None = None,
        contract_starts_on: dt.date | None = None,
        contract_ends_on: dt.date | None = None,
    ) -> None:
        """Abroad, under a contract that starts on the departure unless given, and ends (when
        known) on ``contract_ends_on``, when the worker is expected home."""
        if self.status != CLEARED:
            raise TransitionRefused(
                f"departure needs status {CLEARED}, the worker is {self.status}",
                {"status": self.status, "missing": self.missing_for_clearance(today)},
            )
        if self.documents_lapse_before(departed_on):
            raise TransitionRefused(
                f"a document expires on {self.documents_valid_until}, before the departure on "
                f"{departed_on}: renew it first",
                {
                    "status": self.status,
                    "documents_valid_until": str(self.documents_valid_until),
                    "departed_on": str(departed_on),
                },
            )
        starts_on = contract_starts_on or departed_on
        _check_contract(departed_on, starts_on, contract_ends_on)
        self._move(DEPARTED, "departure_recorded")
        self.departed_on, self.employer = departed_on, employer
        self.destination_country = destination_country
        self.contract_starts_on, self.contract_ends_on = starts_on, contract_ends_on
        self.expected_return_on = contract_ends_on
        self.contract_ending_announced_for = None
        self.sector = sector_of(self.occupation)

    def extend_contract(self, ends_on: dt.date) -> dt.date | None:
        """A new end of the contract (the worker is then expected home then); the previous."""
        self._abroad("a contract extension")
        previous = self.contract_ends_on
        start = previous or self.contract_starts_on or self.departed_on
        if start is not None and ends_on <= start:
            raise InvalidInput(
                "an extension ends the contract later",
                {"ends_on": [f"must be after {start}"]},
            )
        self.contract_ends_on = self.expected_return_on = ends_on
        return previous

    def change_employer(
        self, employer: str, changed_on: dt.date, occupation: str | None = None
    ) -> str | None:
        """Another employer abroad (and the occupation, when it changes too); the previous."""
        self._abroad("a change of employer")
        problems = {}
        if employer.casefold() == (self.employer or "").casefold():
            problems["employer"] = ["is the employer already on record"]
        if self.departed_on and changed_on < self.departed_on:
            problems["changed_on"] = [f"must not be before the departure {self.departed_on}"]
        if problems:
            raise InvalidInput("the change of employer does not fit the record", problems)
        previous, self.employer = self.employer, employer
        if occupation:
            self.occupation = occupation
        self.sector = sector_of(self.occupation)
        return previous

    def expect_return(self, on: dt.date) -> None:
        self._abroad("an expected return")
        if self.departed_on and on < self.departed_on:
            raise InvalidInput(
                "the expected return is before the departure",
                {"expected_return_on": [f"must not be before {self.departed_on}"]},
            )
        self.expected_return_on = on

    def contract_ends_within(self, today: dt.date, days: int) -> bool:
        """Abroad with a contract ending by ``days`` from ``today`` (or ended already)."""
        return (
            self.status == DEPARTED
            and self.contract_ends_on is not None
            and self.contract_ends_on <= today + dt.timedelta(days=days)
        )

    def contract_ending_due(self, today: dt.date, notice_days: int) -> bool:
        """Whether the worker's coming home is to be announced now: abroad, the contract ending
        between ``today`` and ``notice_days`` later, and not announced yet for that end date
        (an extension moves the date, so the new one is announced in its turn). A contract
        already past is the outreach list's, not a notice's."""
        ends_on = self.contract_ends_on
        return (
            self.status == DEPARTED
            and ends_on is not None
            and today <= ends_on <= today + dt.timedelta(days=notice_days)
            and self.contract_ending_announced_for != ends_on
        )

    def announce_contract_ending(self, today: dt.date, notice_days: int) -> int | None:
        """Note that the coming home is announced for the contract's end; the days left until
        it, or None when there is nothing to announce (see ``contract_ending_due``)."""
        if not self.contract_ending_due(today, notice_days):
            return None
        assert self.contract_ends_on is not None  # checked above
        self.contract_ending_announced_for = self.contract_ends_on
        return (self.contract_ends_on - today).days

    def _abroad(self, what: str) -> None:
        if self.status != DEPARTED:
            raise TransitionRefused(
                f"{what} needs a worker abroad ({DEPARTED}); the worker is {self.status}",
                {"status": self.status},
            )

    def return_home(self, returned_on: dt.date, reason: str) -> None:
        if self.status != DEPARTED:
            raise TransitionRefused(
                f"a return needs status {DEPARTED}, the worker is {self.status}",
                {"status": self.status},
            )
        if self.departed_on and returned_on < self.departed_on:
            raise InvalidInput(
                "the return date is before the departure",
                {"returned_on": [f"must not be before {self.departed_on}"]},
            )
        self._move(RETURNED, f"returned:{reason}")
        self.returned_on, self.return_reason = returned_on, reason

    def die(
        self,
        died_on: dt.date,
        country: str,
        cause: str,
        remains_repatriated: bool,
        remains_arrive_on: dt.date | None,
        heirs: list[FamilyMember],
    ) -> None:
        """The worker died on ``died_on`` in ``country`` (ID: at home), of a ``cause`` category;
        the remains come home (on ``remains_arrive_on``, when known) or not; ``heirs`` are members
        of the worker's family. Final: no status follows."""
        if self.status in FINAL:
            raise TransitionRefused(
                f"the worker is already recorded as {self.status}", {"status": self.status}
            )
        problems = {}
        if self.status == DEPARTED and self.departed_on and died_on < self.departed_on:
            problems["died_on"] = [f"must not be before the departure {self.departed_on}"]
        if remains_repatriated and country == "ID":
            problems["remains_repatriated"] = ["remains are repatriated from abroad, not from ID"]
        if remains_arrive_on is not None and not remains_repatriated:
            problems["remains_arrive_on"] = ["only for remains that are repatriated"]
        elif remains_arrive_on is not None and remains_arrive_on < died_on:
            problems["remains_arrive_on"] = [f"must not be before the death {died_on}"]
        if any(member.worker_id != self.id for member in heirs):
            problems["heirs"] = ["an heir is a member of the worker's own family"]
        if problems:
            raise InvalidInput("the death does not fit the record", problems)
        self._move(DECEASED, f"died:{cause}")
        self.died_on, self.death_country, self.death_cause = died_on, country, cause
        self.remains_repatriated, self.remains_arrive_on = remains_repatriated, remains_arrive_on
        self.heirs = [member.id for member in heirs]

    def withdraw(self, reason: str) -> None:
        if self.status not in PRE_DEPARTURE:
            raise TransitionRefused(
                f"only a worker who has not departed can withdraw; the worker is {self.status}",
                {"status": self.status},
            )
        self._move(WITHDRAWN, f"withdrawn:{reason}")

    # rules ------------------------------------------------------------------------------

    def documents_lapse_before(self, day: dt.date | None) -> bool:
        """Whether a document of the complete set is no longer valid on ``day``."""
        valid_until = self.documents_valid_until
        return day is not None and valid_until is not None and valid_until < day

    def missing_for_clearance(self, today: dt.date | None = None) -> list[str]:
        missing = []
        if not self.documents_complete:
            missing.append("documents_verified")
        elif self.documents_lapse_before(today):
            missing.append("documents_valid")
        if not self.orientation_completed:
            missing.append("orientation_completed")
        if not self.bpjs_number:
            missing.append("bpjs_number")
        return missing

    def _pre_departure_target(self, today: dt.date | None) -> str:
        # a lapse the documents service's expiry check has not announced yet counts already
        if not self.documents_complete or self.documents_lapse_before(today):
            return REGISTERED
        if not self.orientation_completed:
            return DOCUMENTS_VERIFIED
        if not self.bpjs_number:
            return ORIENTATION_COMPLETED
        return CLEARED

    def _settle(self, reason: str, today: dt.date | None) -> None:
        if self.status not in PRE_DEPARTURE:
            return
        target = self._pre_departure_target(today)
        here, there = PRE_DEPARTURE.index(self.status), PRE_DEPARTURE.index(target)
        if there < here:
            self._move(target, reason)
        for status in PRE_DEPARTURE[here + 1 : there + 1]:
            self._move(status, reason)

    def _move(self, status: str, reason: str) -> None:
        self.changes.append(StatusChange(self.status, status, reason))
        self.status, self.stage = status, STAGE[status]

    def take_changes(self) -> list[StatusChange]:
        """The status changes since the last call, oldest first, to announce them once."""
        changes, self.changes = self.changes, []
        return changes


def returnees_participation(
    worker: Worker, participant_kind: str, occurred_at: dt.datetime, returned_at: dt.datetime | None
) -> bool:
    """Whether a reintegration event is a returnee's participation.

    Reintegration says so from its own copy of the worker, which may not yet have heard of a
    return this record already holds (a desk enrols a worker right after recording the return):
    such a participation comes as "prospective". This record decides: a participation recorded
    after the worker's return in the current cycle (``returned_at``, from the timeline) is a
    returnee's."""
    if participant_kind == "returnee":
        return True
    if worker.status not in (RETURNED, IN_REINTEGRATION):
        return False
    return returned_at is not None and occurred_at >= returned_at


FAMILY_DETAILS = (
    "full_name",
    "relation",
    "phone",
    "village",
    "district",
    "heir",
    "emergency_contact",
    "consent_to_contact",
)


@dataclass(eq=False)
class FamilyMember:
    """One of the worker's family or emergency contacts: who they are to the worker, how to reach
    them, whether they are an heir, and whether the worker consents to their being contacted."""

    id: str = ""
    worker_id: str = ""
    full_name: str = ""
    relation: str = ""
    phone: str | None = None
    village: str | None = None
    district: str | None = None
    heir: bool = False
    emergency_contact: bool = False
    consent_to_contact: bool = False
    added_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    @classmethod
    def add(cls, id: str, worker_id: str, details: dict, now: dt.datetime) -> FamilyMember:
        member = cls(id=id, worker_id=worker_id, added_at=now, updated_at=now)
        member.change(details, now)
        return member

    def change(self, details: dict, now: dt.datetime) -> list[str]:
        """Apply the details given; the names of those that changed, in ``FAMILY_DETAILS``
        order. An emergency contact needs a phone to be reached on."""
        changed = [
            name
            for name in FAMILY_DETAILS
            if name in details and details[name] != getattr(self, name)
        ]
        phone = details.get("phone", self.phone)
        emergency = details.get("emergency_contact", self.emergency_contact)
        if emergency and not phone:
            raise InvalidInput(
                "an emergency contact needs a phone number",
                {"phone": ["required for an emergency contact"]},
            )
        for name in changed:
            setattr(self, name, details[name])
        if changed:
            self.updated_at = now
        return changed

    @property
    def contactable(self) -> bool:
        """Whether the desk may call this person: a phone, and the worker's consent."""
        return bool(self.phone) and self.consent_to_contact

    def described(self) -> dict:
        """The member as the family events carry them."""
        return {"member_id": self.id, **{name: getattr(self, name) for name in FAMILY_DETAILS}}

    def noted(self) -> dict:
        """What the timeline keeps of the member: who they are to the worker, never their name
        or phone (the timeline outlives a member removed from the record)."""
        return {
            "member_id": self.id,
            "relation": self.relation,
            "heir": self.heir,
            "emergency_contact": self.emergency_contact,
        }


def heirs_among(family: list[FamilyMember], member_ids: list[str]) -> list[FamilyMember]:
    """The family members named as heirs, in the order named; an id that is not one of the
    worker's family, or named twice, is refused."""
    by_id = {member.id: member for member in family}
    unknown = [member_id for member_id in member_ids if member_id not in by_id]
    if unknown:
        raise InvalidInput(
            "an heir must be on the worker's family list",
            {"heirs": [f"not a family member of this worker: {', '.join(unknown)}"]},
        )
    if len(set(member_ids)) != len(member_ids):
        raise InvalidInput("an heir is named twice", {"heirs": ["name each heir once"]})
    return [by_id[member_id] for member_id in member_ids]


@dataclass(eq=False)
class TimelineEntry:
    """One line of a worker's timeline: an event about the worker (this service's or another's)
    or a command that announced none, with the status change it made, if any, and who caused
    it."""

    worker_id: str
    cycle: int
    occurred_at: dt.datetime
    event_type: str
    source: str
    event_id: str | None = None
    from_status: str | None = None
    to_status: str | None = None
    stage: str | None = None
    reason: str | None = None
    actor_role: str | None = None
    actor_agency: str | None = None
    actor_subject: str | None = None
    correlation_id: str | None = None
    details: dict = field(default_factory=dict)
    id: int | None = None  # given when stored, in the order entries are added

    @classmethod
    def about(
        cls,
        worker: Worker,
        event_type: str,
        source: str,
        occurred_at: dt.datetime,
        event_id: str | None = None,
        actor: dict | None = None,
        correlation_id: str | None = None,
        details: dict | None = None,
        change: StatusChange | None = None,
    ) -> TimelineEntry:
        """An entry in the worker's current cycle."""
        actor = actor or {}
        return cls(
            worker_id=worker.id,
            cycle=worker.cycle,
            occurred_at=occurred_at,
            event_type=event_type,
            source=source,
            event_id=event_id,
            from_status=change.from_status if change else None,
            to_status=change.to_status if change else None,
            stage=change.stage if change else None,
            reason=change.reason if change else None,
            actor_role=actor.get("role"),
            actor_agency=actor.get("agency"),
            actor_subject=actor.get("subject"),
            correlation_id=correlation_id,
            details=details or {},
        )


# what the timeline keeps of another service's event: what happened, never personal data
TIMELINE_FIELDS = (
    "document_type",
    "document_id",
    "reason",
    "session_id",
    "program_id",
    "certificate_number",
    "participant_kind",
    "business_started",
    "business_name",
    "sector",
    "regency",
    "awarded",
    "round",
    "advanced",
    "score",
    "expired_on",
    "starts_at",
)


def timeline_details(data: dict) -> dict:
    return {
        key: (value.isoformat() if hasattr(value, "isoformat") else value)
        for key, value in data.items()
        if key in TIMELINE_FIELDS
    }


# a protection case's steps on the worker's timeline: what may be said of it beyond the desk
CASE_TIMELINE_FIELDS = ("case_id", "case_type", "aspect", "urgency", "from_status", "outcome")
CASE_STATUS_OF = {"case_resolved": "resolved"}  # the events that carry no status name theirs


def case_timeline_details(event_type: str, data: dict) -> dict:
    """What the timeline keeps of a protection case's event: its type, aspect, urgency, status
    and outcome, never its summary, notes, reporter, amount or the death's details. Of a
    sensitive case (violence, trafficking) only that a protected case exists and its status:
    the worker's record shows that the desk acted (a repatriation's return names this event as
    its cause) without telling the desk, an agency or anyone reading over the worker's
    shoulder what it is about."""
    status = data.get("to_status") or data.get("status") or CASE_STATUS_OF.get(event_type)
    if data.get("sensitive") is not False:
        return {"sensitive": True, "status": status}
    kept = {key: data[key] for key in CASE_TIMELINE_FIELDS if data.get(key) is not None}
    return {**kept, "sensitive": False, "status": status}


# a Go-TKI letter on the worker's timeline: its type, number and status, nothing else
LETTER_STATUS_OF = {
    "letter_requested": "requested",
    "letter_issued": "issued",
    "letter_revoked": "revoked",
}


def letter_timeline_details(event_type: str, data: dict) -> dict:
    """What the timeline keeps of a letter's event: the letter, its type, its number once it has
    one, and its status (a family permission's: acknowledged or refused by the village); never
    the permission giver or the verification code."""
    kept = {
        "letter_id": data.get("letter_id"),
        "letter_type": data.get("letter_type"),
        "status": data.get("decision") or LETTER_STATUS_OF.get(event_type),
    }
    if data.get("number"):
        kept["number"] = data["number"]
    return kept


def same_phone(one: str, other: str) -> bool:
    """Two ways of writing one Indonesian number: the digits after the trunk 0 or the 62."""

    def national(phone: str) -> str:
        digits = "".join(ch for ch in phone if ch.isdigit())
        if digits.startswith("62"):
            return digits[2:]
        return digits.removeprefix("0")

    return len(national(one)) >= 6 and national(one) == national(other)
