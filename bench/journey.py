"""A desk app's worker journey over HTTP: registration to reintegrated, each step retried until
the platform shows it, as the reliability run's desks drive it (``tests.reliability.driver``)."""

from __future__ import annotations

import threading
import time

from tests.reliability import driver as desk

POLL_SECONDS = 0.05
STEP_TIMEOUT = 60.0
ABORT = threading.Event()  # set when the run is interrupted: every desk client gives up at once


class DeskDriver(desk.Driver):
    """The reliability run's desk driver, polling for eventual statuses every 50 ms."""

    def until(self, what, attempt, done, timeout: float = STEP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ABORT.is_set():
                raise desk.StepFailed("the run was interrupted")
            if done():
                return
            attempt()
            if done():
                return
            time.sleep(POLL_SECONDS)
        raise desk.StepFailed(f"{what} not done after {timeout}s")


NAMES = (
    "Siti Nur'aini binti Ahmad",
    "Sri Wahyuni",
    "Dewi Lestari",
    "Rina Marlina",
    "Ahmad Fauzi",
    "Yuliana Dwi Astuti",
    "Eko Prasetyo",
    "Nur Hidayah",
)


def journey(driver: DeskDriver, setup: desk.Setup, index: int) -> str:
    """One worker from registration to reintegrated over HTTP: the reliability run's journey
    (``tests.reliability.driver.journey``), with this driver's polling."""
    return desk.journey(driver, setup, index)
