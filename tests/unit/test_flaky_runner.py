"""``python -m tests.flaky`` stopped: its CPU hogs never outlive it, whether it is told to stop
(its run and the hogs stopped with it) or killed outright (each hog sees it gone and ends)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import wait_for

ROOT = Path(__file__).resolve().parents[2]
# a run of the suite that starts nothing and ends by itself: this module, no test chosen
QUIET_RUN = ["--groups", "1", "tests/unit/test_flaky_runner.py", "-k", "no_test_is_named_so"]


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def start_with_hogs() -> tuple[subprocess.Popen, set[int]]:
    """``tests.flaky`` with one run and one hog; its children once the hog is among them (the
    hogs start before the run)."""
    flaky = subprocess.Popen(
        [sys.executable, "-m", "tests.flaky", "--runs", "1", "--hogs", "1", *QUIET_RUN],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children = wait_for(
        lambda: children_of(flaky.pid),
        timeout=30,
        message="the hog started",
    )
    return flaky, children


def test_told_to_stop_it_stops_its_run_and_its_hogs():
    flaky, children = start_with_hogs()
    flaky.send_signal(signal.SIGTERM)

    assert flaky.wait(timeout=120) == 128 + signal.SIGTERM
    assert not [pid for pid in children if alive(pid)]


def test_killed_outright_its_hogs_end_by_themselves():
    flaky, children = start_with_hogs()
    started = time.monotonic()
    flaky.kill()
    flaky.wait()

    wait_for(
        lambda: not [pid for pid in children if alive(pid)],
        timeout=60,
        message=f"the hogs {sorted(children)} ending after {time.monotonic() - started:.0f} s",
    )
