"""The lifecycle of a worker's migration, as plain Python.

The pre-departure statuses follow from facts (documents complete, orientation done, BPJS number on
file), so facts may arrive in any order and the status still moves through the gates in order, and
falls back to ``registered`` when the documents stop being complete. Departure, return and
withdrawal are commands with gates; reintegration moves a returnee on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pmi_common.errors import TransitionRefused

REGISTERED = "registered"
DOCUMENTS_VERIFIED = "documents_verified"
ORIENTATION_COMPLETED = "orientation_completed"
CLEARED = "cleared_for_departure"
DEPARTED = "departed"
RETURNED = "returned"
IN_REINTEGRATION = "in_reintegration"
REINTEGRATED = "reintegrated"
WITHDRAWN = "withdrawn"

PRE_DEPARTURE = (REGISTERED, DOCUMENTS_VERIFIED, ORIENTATION_COMPLETED, CLEARED)
STAGE = {
    **{status: "pre_departure" for status in PRE_DEPARTURE},
    WITHDRAWN: "pre_departure",
    DEPARTED: "abroad",
    RETURNED: "return",
    IN_REINTEGRATION: "return",
    REINTEGRATED: "return",
}
# A person may register again (a new cycle) once the previous one has ended.
ENDED = (RETURNED, IN_REINTEGRATION, REINTEGRATED, WITHDRAWN)


@dataclass(frozen=True)
class StatusChange:
    from_status: str | None
    to_status: str
    reason: str

    @property
    def stage(self) -> str:
        return STAGE[self.to_status]


@dataclass
class Lifecycle:
    """A worker's status and the facts that decide it, for one migration cycle."""

    status: str = REGISTERED
    documents_complete: bool = False
    documents_sequence: int = 0
    orientation_completed: bool = False
    bpjs_number: str | None = None
    # the earliest expiry among the complete set's documents, and the district's day
    documents_valid_until: dt.date | None = None
    today: dt.date | None = None
    changes: list[StatusChange] = field(default_factory=list)

    # facts from other services -------------------------------------------------------------

    def documents_changed(self, complete: bool, sequence: int, reason: str,
                          valid_until: dt.date | None = None) -> None:
        """The documents service says the set is (or is no longer) complete, as of ``sequence``
        of its events for this worker, and (when it becomes complete) until when its documents
        are all valid; an older word than the last one applied changes nothing."""
        if sequence <= self.documents_sequence:
            return
        self.documents_sequence = sequence
        self.documents_complete = complete
        if valid_until is not None or not complete:
            self.documents_valid_until = valid_until
        self._settle(reason)

    def orientation_done(self, reason: str) -> None:
        self.orientation_completed = True
        self._settle(reason)

    def bpjs_recorded(self, bpjs_number: str) -> None:
        self.bpjs_number = bpjs_number
        self._settle("bpjs_number_recorded")

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

    def depart(self, departed_on: dt.date) -> None:
        if self.status != CLEARED:
            raise TransitionRefused(
                f"departure needs status {CLEARED}, the worker is {self.status}",
                {"status": self.status, "missing": self.missing_for_clearance()},
            )
        if self.documents_lapse_before(departed_on):
            raise TransitionRefused(
                f"a document expires on {self.documents_valid_until}, before the departure on "
                f"{departed_on}: renew it first",
                {"status": self.status, "documents_valid_until": str(self.documents_valid_until),
                 "departed_on": str(departed_on)},
            )
        self._move(DEPARTED, "departure_recorded")

    def return_home(self, reason: str) -> None:
        if self.status != DEPARTED:
            raise TransitionRefused(
                f"a return needs status {DEPARTED}, the worker is {self.status}",
                {"status": self.status},
            )
        self._move(RETURNED, f"returned:{reason}")

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

    def missing_for_clearance(self) -> list[str]:
        missing = []
        if not self.documents_complete:
            missing.append("documents_verified")
        elif self.documents_lapse_before(self.today):
            missing.append("documents_valid")
        if not self.orientation_completed:
            missing.append("orientation_completed")
        if not self.bpjs_number:
            missing.append("bpjs_number")
        return missing

    def _pre_departure_target(self) -> str:
        # a lapse the documents service's expiry check has not announced yet counts already
        if not self.documents_complete or self.documents_lapse_before(self.today):
            return REGISTERED
        if not self.orientation_completed:
            return DOCUMENTS_VERIFIED
        if not self.bpjs_number:
            return ORIENTATION_COMPLETED
        return CLEARED

    def _settle(self, reason: str) -> None:
        if self.status not in PRE_DEPARTURE:
            return
        target = self._pre_departure_target()
        here, there = PRE_DEPARTURE.index(self.status), PRE_DEPARTURE.index(target)
        if there < here:
            self._move(target, reason)
        for status in PRE_DEPARTURE[here + 1:there + 1]:
            self._move(status, reason)

    def _move(self, status: str, reason: str) -> None:
        self.changes.append(StatusChange(self.status, status, reason))
        self.status = status


def may_register_again(status: str) -> bool:
    return status in ENDED
