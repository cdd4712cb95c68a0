"""The worker's lifecycle as every service speaks of it: the statuses registration decides, the
stage each belongs to, and what registration last said about a worker as another service keeps it.

Plain Python: the domain modules of every service import this, and nothing else of the runtime's
machinery comes with it.
"""

from __future__ import annotations

from dataclasses import dataclass

REGISTERED = "registered"
DOCUMENTS_VERIFIED = "documents_verified"
ORIENTATION_COMPLETED = "orientation_completed"
CLEARED = "cleared_for_departure"
DEPARTED = "departed"
RETURNED = "returned"
IN_REINTEGRATION = "in_reintegration"
REINTEGRATED = "reintegrated"
WITHDRAWN = "withdrawn"
DECEASED = "deceased"

STATUSES = (
    REGISTERED,
    DOCUMENTS_VERIFIED,
    ORIENTATION_COMPLETED,
    CLEARED,
    DEPARTED,
    RETURNED,
    IN_REINTEGRATION,
    REINTEGRATED,
    WITHDRAWN,
    DECEASED,
)
# Before departure, in the order the gates open.
PRE_DEPARTURE = (REGISTERED, DOCUMENTS_VERIFIED, ORIENTATION_COMPLETED, CLEARED)
# Back home: the return and what follows it.
RETURN_STAGE = (RETURNED, IN_REINTEGRATION, REINTEGRATED)
# A person may register again (a new cycle) once the previous one has ended.
ENDED = (*RETURN_STAGE, WITHDRAWN)
# No status follows these: nothing moves the worker on, nobody invites or schedules them, and the
# NIK cannot be registered again.
FINAL = (DECEASED,)

STAGE = {
    **{status: "pre_departure" for status in PRE_DEPARTURE},
    WITHDRAWN: "pre_departure",
    DEPARTED: "abroad",
    **{status: "return" for status in RETURN_STAGE},
    DECEASED: "deceased",
}


@dataclass
class RegistrationWord:
    """What registration last said about a worker, as a service that follows its events keeps it:
    the migration cycle, the newest status in that cycle (by the event's per-worker sequence), and
    whether a return was recorded in it.

    Events may arrive in any order and more than once: a word about an older cycle, or older than
    the one kept, changes nothing."""

    cycle: int = 0
    status: str | None = None
    sequence: int = 0
    returned_cycle: int | None = None

    def learn(self, cycle: int, sequence: int, status: str, returned: bool = False) -> bool:
        """Apply one word; True when it begins a newer migration cycle than the one kept."""
        if cycle < self.cycle:
            return False
        new_cycle = cycle > self.cycle
        if new_cycle:  # registered again: the previous migration is history
            self.cycle, self.returned_cycle = cycle, None
        if returned or status == RETURNED:
            self.returned_cycle = cycle
        if sequence > self.sequence:
            self.status, self.sequence = status, sequence
        return new_cycle

    @property
    def known(self) -> bool:
        """Whether registration has said anything about this worker yet."""
        return self.cycle > 0

    @property
    def final(self) -> bool:
        """Registration said the last word about this worker (deceased)."""
        return self.status in FINAL

    @property
    def before_departure(self) -> bool:
        return self.status in PRE_DEPARTURE

    @property
    def returned(self) -> bool:
        """Back from abroad in the current cycle."""
        return self.returned_cycle == self.cycle or self.status in RETURN_STAGE
