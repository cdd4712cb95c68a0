"""Reintegration programmes as plain Python: who may join, the selection funnel, the outcome.

A programme (like PAK CAMAT PMI, entrepreneurship training for prospective and former migrant
workers) has an audience, a number of seats, a start date and an ordered list of selection rounds
(business-model canvas, business plan, pitch), each letting a fixed number of participants go on.
Those who advance in the last round are the awardees.

What this service knows of a worker is registration's word (``RegistrationWord``), kept from its
events, which may arrive in any order. These objects are the service's stored state.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from pmi_common.errors import AlreadyDecided, CapacityReached, InvalidInput, NotEligible, NotFound
from pmi_common.lifecycle import DEPARTED, REGISTERED, RETURNED, WITHDRAWN, RegistrationWord
from pmi_common.names import AUDIENCES, FOLLOW_UP_MONTHS

PROSPECTIVE, RETURNEE, BOTH = AUDIENCES
ENROLLED, COMPLETED = "enrolled", "completed"
OPEN, FULL, STARTED = "open", "full", "started"


# workers -------------------------------------------------------------------------------------


class Heard(enum.Enum):
    """What one of registration's words was to the worker kept here."""

    OLDER_CYCLE = "older_cycle"  # about a migration before the current one: it changes nothing
    CURRENT = "current"  # about the current migration
    RETURN = "return"  # the worker's return, in the current migration


@dataclass(eq=False)
class Worker(RegistrationWord):
    """A worker as registration last described them: its word, the return date, name and
    regency, and the end of the contract abroad once registration announced the worker due home
    (in the migration ``contract_cycle``)."""

    id: str = ""
    returned_on: dt.date | None = None
    full_name: str | None = None
    regency: str | None = None
    contract_ends_on: dt.date | None = None
    contract_cycle: int | None = None
    updated_at: dt.datetime | None = None

    @property
    def kind(self) -> str | None:
        """``returnee``, ``prospective``, or None for one who is neither (abroad, or deceased:
        a death is final, whatever came before it). A candidate who withdrew stays a prospective
        participant: a programme like PAK CAMAT aims at those for whom going abroad is no longer
        needed."""
        if self.final:
            return None
        if self.returned:
            return RETURNEE
        if self.before_departure or self.status == WITHDRAWN:
            return PROSPECTIVE
        return None

    @property
    def due_home_on(self) -> dt.date | None:
        """When the worker, still abroad, is due home: the end of the contract registration
        announced in the current migration (None once they returned, died or registered
        again)."""
        if self.status == DEPARTED and self.contract_cycle == self.cycle:
            return self.contract_ends_on
        return None

    def hear_contract_ending(
        self, cycle: int, sequence: int, at: dt.datetime, ends_on: dt.date
    ) -> Heard:
        """Registration announced the worker due home (so abroad, as of ``sequence``) on
        ``ends_on``. An extension's later announcement moves the date on; an announcement
        heard late keeps the later date."""
        heard = self.hear(cycle, sequence, DEPARTED, at)
        if heard is Heard.OLDER_CYCLE:
            return heard
        if self.contract_cycle != cycle or (self.contract_ends_on or ends_on) <= ends_on:
            self.contract_ends_on, self.contract_cycle = ends_on, cycle
        return heard

    def hear(self, cycle: int, sequence: int, status: str, at: dt.datetime) -> Heard:
        """Learn that the worker's status was ``status`` (as of ``sequence``), said at ``at``."""
        if cycle < self.cycle:
            return Heard.OLDER_CYCLE
        self.learn(cycle, sequence, status)
        self.updated_at = at
        return Heard.RETURN if status == RETURNED else Heard.CURRENT

    def hear_registration(
        self, cycle: int, sequence: int, at: dt.datetime, full_name: str, regency: str
    ) -> Heard:
        heard = self.hear(cycle, sequence, REGISTERED, at)
        if heard is not Heard.OLDER_CYCLE or self.full_name is None:
            self.full_name, self.regency = full_name, regency
        return heard

    def hear_return(
        self, cycle: int, sequence: int, at: dt.datetime, returned_on: dt.date | None
    ) -> Heard:
        heard = self.hear(cycle, sequence, RETURNED, at)
        if heard is Heard.RETURN:
            self.returned_on = returned_on
        return heard


def due_home_note(ends_on: dt.date) -> str:
    """What the worker and the desk read beside the programmes a worker abroad is invited to,
    in Bahasa Indonesia first, then English."""
    day = ends_on.isoformat()
    return (
        f"Kontrak kerja berakhir pada {day}: program ini terbuka untuk purna PMI setelah pulang. "
        f"/ The contract ends on {day}: these programmes are open to returnees once home."
    )


def admits(audience: str, kind: str | None) -> bool:
    return kind is not None and audience in (kind, BOTH)


def audiences_for(kind: str) -> tuple[str, ...]:
    """The programme audiences a participant of ``kind`` may join."""
    return (kind, BOTH)


# programmes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Round:
    name: str
    advance: int


def funnel_problems(capacity: int, advances: Sequence[int]) -> list[str]:
    """Why these rounds cannot be a selection funnel for ``capacity`` seats (empty if they can)."""
    problems = []
    if not advances:
        problems.append("a programme needs at least one round")
    if any(n < 1 for n in advances):
        problems.append("each round must let at least 1 participant advance")
    if advances and advances[0] > capacity:
        problems.append(f"the first round cannot advance more than the capacity ({capacity})")
    if any(later >= earlier for earlier, later in zip(advances, advances[1:], strict=False)):
        problems.append("each round must advance fewer participants than the round before")
    return problems


@dataclass(eq=False)
class Programme:
    audience: str
    capacity: int
    starts_on: dt.date
    rounds: tuple[Round, ...]
    enrolled: int = 0
    id: str = ""
    name: str = ""
    created_at: dt.datetime | None = None

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.enrolled, 0)

    def status(self, today: dt.date) -> str:
        """``started`` once its start date has passed; until then ``open``, or ``full``."""
        if self.starts_on < today:
            return STARTED
        return OPEN if self.seats_left else FULL

    def is_open(self, today: dt.date) -> bool:
        return self.status(today) == OPEN

    def enrol(self, worker: Worker | None, today: dt.date, already_enrolled: bool) -> str:
        """Take a seat for ``worker``: the participant kind they join as, or the reason they may
        not."""
        if worker is None:
            raise NotFound("this service has not heard of the worker", {"reason": "unknown_worker"})
        if already_enrolled:
            raise NotEligible(
                "the worker is already enrolled in this programme", {"reason": "already_enrolled"}
            )
        kind = worker.kind
        if kind is None:
            raise NotEligible(
                f"a worker who is {worker.status} is neither a prospective worker nor a returnee",
                {"reason": "not_prospective_or_returnee", "status": worker.status},
            )
        if not admits(self.audience, kind):
            raise NotEligible(
                f"this programme is for {self.audience} workers; the worker is a {kind}",
                {"reason": "wrong_audience", "audience": self.audience, "participant_kind": kind},
            )
        if self.starts_on < today:
            raise NotEligible(
                f"the programme started on {self.starts_on.isoformat()}",
                {"reason": "programme_started"},
            )
        if not self.seats_left:
            raise CapacityReached(
                f"all {self.capacity} seats are taken", {"capacity": self.capacity}
            )
        self.enrolled += 1
        return kind


# participants -------------------------------------------------------------------------------


@dataclass(eq=False)
class RoundResult:
    round: int
    advanced: bool
    score: float | None = None
    note: str | None = None
    recorded_at: dt.datetime | None = None
    program_id: str | None = None


@dataclass(eq=False)
class FollowUp:
    """What the reintegration desk found ``months`` after a participant's completion: whether
    the business started still runs, its monthly income by band, and whether the person
    migrated again."""

    months: int
    business_running: bool
    income_band: str
    migrated_again: bool
    recorded_at: dt.datetime | None = None
    participant_id: int | None = None


def follow_up_due_on(completed_at: dt.datetime, months: int, zone: str = "Asia/Jakarta") -> dt.date:
    """The day a follow-up ``months`` after a completion is due (the same day of the month, or
    the month's last day when it has fewer)."""
    day = completed_at.astimezone(ZoneInfo(zone)).date()
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(eq=False)
class Participant:
    """One participant's way through a programme: the result of each round recorded so far, and
    the outcome once completed."""

    worker_id: str = ""
    participant_kind: str = PROSPECTIVE
    status: str = ENROLLED
    results: list[RoundResult] = field(default_factory=list)
    programme: Programme | None = None
    program_id: str | None = None
    enrolled_at: dt.datetime | None = None
    awarded: bool = False
    completed_at: dt.datetime | None = None
    business_started: bool | None = None
    business_name: str | None = None
    sector: str | None = None
    regency: str | None = None
    follow_ups: list[FollowUp] = field(default_factory=list)

    @property
    def advanced(self) -> dict[int, bool]:
        """Round number -> whether the participant advanced in it."""
        return {result.round: result.advanced for result in self.results}

    def check_round(
        self, programme: Programme, number: int, advanced: bool, advanced_so_far: int
    ) -> None:
        """Refuse a round result that breaks the funnel; ``advanced_so_far`` is how many have
        already advanced in that round."""
        if not 1 <= number <= len(programme.rounds):
            raise InvalidInput(
                "there is no such round",
                {"round": [f"must be between 1 and {len(programme.rounds)}"]},
            )
        if self.status == COMPLETED:
            raise NotEligible(
                "the participant has completed the programme", {"reason": "completed"}
            )
        done = self.advanced
        if number in done:
            raise AlreadyDecided(
                f"round {number} is already recorded for this participant",
                {"round": number, "advanced": done[number]},
            )
        if number > 1 and not done.get(number - 1):
            raise NotEligible(
                f"round {number} needs having advanced in round {number - 1}",
                {"reason": "previous_round_not_advanced", "round": number},
            )
        allowed = programme.rounds[number - 1].advance
        if advanced and advanced_so_far >= allowed:
            raise CapacityReached(
                f"round {number} lets only {allowed} participants advance",
                {"round": number, "advance": allowed},
            )

    def record(
        self,
        number: int,
        advanced: bool,
        score: float | None = None,
        note: str | None = None,
        at: dt.datetime | None = None,
    ) -> RoundResult:
        result = RoundResult(
            round=number,
            advanced=advanced,
            score=score,
            note=note,
            recorded_at=at,
            program_id=self.program_id,
        )
        self.results.append(result)
        if self.programme is not None:
            self.awarded = self.is_awardee(self.programme)
        return result

    def is_awardee(self, programme: Programme) -> bool:
        """Whoever advanced in the last round is an awardee."""
        return self.advanced.get(len(programme.rounds), False)

    def complete(
        self,
        at: dt.datetime | None = None,
        business_started: bool | None = None,
        business_name: str | None = None,
        sector: str | None = None,
        regency: str | None = None,
    ) -> None:
        """Record the outcome, once. A participant who left the funnel early may complete too:
        the outcome (a business started or not) matters whatever round they reached."""
        if self.status == COMPLETED:
            raise AlreadyDecided(
                "the participant's outcome is already recorded", {"reason": "completed"}
            )
        self.status, self.completed_at = COMPLETED, at
        self.business_started, self.business_name = business_started, business_name
        self.sector, self.regency = sector, regency

    def follow_up(
        self,
        months: int,
        business_running: bool,
        income_band: str,
        migrated_again: bool,
        today: dt.date,
        at: dt.datetime | None = None,
    ) -> FollowUp:
        """Record the follow-up ``months`` after the completion, once, from the day it is due:
        only of a business started."""
        if months not in FOLLOW_UP_MONTHS:
            raise InvalidInput(
                "a follow-up is at 6 or 12 months",
                {"months": [f"must be one of {', '.join(map(str, FOLLOW_UP_MONTHS))}"]},
            )
        if self.status != COMPLETED or self.completed_at is None:
            raise NotEligible(
                "the participant has not completed the programme", {"reason": "not_completed"}
            )
        if not self.business_started:
            raise NotEligible(
                "the participant started no business to follow up", {"reason": "no_business"}
            )
        if any(done.months == months for done in self.follow_ups):
            raise AlreadyDecided(
                f"the follow-up at {months} months is already recorded", {"months": months}
            )
        due_on = follow_up_due_on(self.completed_at, months)
        if today < due_on:
            raise NotEligible(
                f"the follow-up at {months} months is due on {due_on.isoformat()}",
                {"reason": "follow_up_not_due", "due_on": due_on.isoformat()},
            )
        done = FollowUp(months, business_running, income_band, migrated_again, recorded_at=at)
        self.follow_ups.append(done)
        return done

    def reclassify(self, returned_at: dt.datetime) -> None:
        """The worker's return, recorded at ``returned_at``, has just been heard of. A
        participation recorded since, taken for a prospective worker's, is a returnee's.
        (Registration, which knew of the return, has moved the worker on already; this keeps the
        programmes' figures right.)"""
        if (
            self.participant_kind == PROSPECTIVE
            and self.enrolled_at is not None
            and self.enrolled_at >= returned_at
        ):
            self.participant_kind = RETURNEE
