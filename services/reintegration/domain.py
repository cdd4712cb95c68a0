"""Reintegration programmes as plain Python: who may join, the selection funnel, the outcome.

A programme (like PAK CAMAT PMI, entrepreneurship training for prospective and former migrant
workers) has an audience, a number of seats, a start date and an ordered list of selection rounds
(business-model canvas, business plan, pitch), each letting a fixed number of participants go on.
Those who advance in the last round are the awardees.

What this service knows of a worker comes from registration's events, which may arrive in any
order: ``WorkerFacts.observe`` keeps the newest fact by (cycle, sequence).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from pmi_common.contract import AUDIENCES, WORKER_REGISTERED, WORKER_RETURNED
from pmi_common.errors import (
    AlreadyDecided,
    CapacityReached,
    InvalidInput,
    NotEligible,
    NotFound,
)

PROSPECTIVE, RETURNEE, BOTH = AUDIENCES
PRE_DEPARTURE = ("registered", "documents_verified", "orientation_completed",
                 "cleared_for_departure")
RETURN_STAGE = ("returned", "in_reintegration", "reintegrated")
ENROLLED, COMPLETED = "enrolled", "completed"
OPEN, FULL, STARTED = "open", "full", "started"


# workers -------------------------------------------------------------------------------------

@dataclass
class WorkerFacts:
    """A worker as registration last told us: the migration cycle, the newest status in it
    (by the event's sequence) and whether a return was recorded in it."""

    cycle: int = 0
    status: str | None = None
    sequence: int = 0
    returned_cycle: int | None = None

    def observe(self, cycle: int, sequence: int, status: str, returned: bool = False) -> bool:
        """Apply one fact; False when it belongs to an older cycle and changes nothing."""
        if cycle < self.cycle:
            return False
        if cycle > self.cycle:  # registered again: the previous migration is history
            self.cycle, self.status, self.sequence, self.returned_cycle = cycle, None, 0, None
        if returned:
            self.returned_cycle = cycle
        if sequence > self.sequence:
            self.status, self.sequence = status, sequence
        return True

    @property
    def kind(self) -> str | None:
        """``returnee``, ``prospective``, or None for one who is neither (abroad, withdrawn)."""
        if self.returned_cycle == self.cycle or self.status in RETURN_STAGE:
            return RETURNEE
        if self.status in PRE_DEPARTURE:
            return PROSPECTIVE
        return None


def fact_of(event_type: str, data: dict) -> tuple[str, bool]:
    """What one of registration's events says: the worker's status, and whether they returned."""
    if event_type == WORKER_REGISTERED:
        return "registered", False
    if event_type == WORKER_RETURNED:
        return "returned", True
    return data["to_status"], data["to_status"] == "returned"


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


@dataclass(frozen=True)
class Programme:
    audience: str
    capacity: int
    starts_on: dt.date
    rounds: tuple[Round, ...]
    enrolled: int

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.enrolled, 0)

    def status(self, today: dt.date) -> str:
        if self.starts_on < today:
            return STARTED
        return OPEN if self.seats_left else FULL

    def is_open(self, today: dt.date) -> bool:
        return self.status(today) == OPEN

    def enrol(self, worker: WorkerFacts | None, today: dt.date, already_enrolled: bool) -> str:
        """The participant kind a worker joins as, or the reason they may not."""
        if worker is None:
            raise NotFound("this service has not heard of the worker", {"reason": "unknown_worker"})
        if already_enrolled:
            raise NotEligible("the worker is already enrolled in this programme",
                              {"reason": "already_enrolled"})
        kind = worker.kind
        if kind is None:
            raise NotEligible(
                f"a worker who is {worker.status} is neither a prospective worker nor a returnee",
                {"reason": "not_prospective_or_returnee", "status": worker.status})
        if not admits(self.audience, kind):
            raise NotEligible(
                f"this programme is for {self.audience} workers; the worker is a {kind}",
                {"reason": "wrong_audience", "audience": self.audience, "participant_kind": kind})
        if self.starts_on < today:
            raise NotEligible(f"the programme started on {self.starts_on.isoformat()}",
                              {"reason": "programme_started"})
        if not self.seats_left:
            raise CapacityReached(f"all {self.capacity} seats are taken",
                                  {"capacity": self.capacity})
        return kind


# participation ------------------------------------------------------------------------------

@dataclass
class Participation:
    """One participant's way through a programme: the result of each round recorded so far."""

    status: str = ENROLLED
    advanced: dict[int, bool] = field(default_factory=dict)  # round number -> advanced

    def check_round(self, programme: Programme, number: int, advanced: bool,
                    advanced_so_far: int) -> None:
        """Refuse a round result that breaks the funnel; ``advanced_so_far`` is how many have
        already advanced in that round."""
        if not 1 <= number <= len(programme.rounds):
            raise InvalidInput("there is no such round",
                               {"round": [f"must be between 1 and {len(programme.rounds)}"]})
        if self.status == COMPLETED:
            raise NotEligible("the participant has completed the programme",
                              {"reason": "completed"})
        if number in self.advanced:
            raise AlreadyDecided(f"round {number} is already recorded for this participant",
                                 {"round": number, "advanced": self.advanced[number]})
        if number > 1 and not self.advanced.get(number - 1):
            raise NotEligible(f"round {number} needs having advanced in round {number - 1}",
                              {"reason": "previous_round_not_advanced", "round": number})
        allowed = programme.rounds[number - 1].advance
        if advanced and advanced_so_far >= allowed:
            raise CapacityReached(f"round {number} lets only {allowed} participants advance",
                                  {"round": number, "advance": allowed})

    def record(self, number: int, advanced: bool) -> None:
        self.advanced[number] = advanced

    def awarded(self, programme: Programme) -> bool:
        """Whoever advanced in the last round is an awardee."""
        return self.advanced.get(len(programme.rounds), False)

    def complete(self) -> None:
        """Record the outcome, once. A participant who left the funnel early may complete too:
        the outcome (a business started or not) matters whatever round they reached."""
        if self.status == COMPLETED:
            raise AlreadyDecided("the participant's outcome is already recorded",
                                 {"reason": "completed"})
        self.status = COMPLETED
