"""``python -m tests.parallel [--groups N] [pytest arguments]``: the suite in N pytest processes
at once, and one more beside them that first runs the end-to-end and browser tests on the one
stack they share, then joins the others (what ``make test`` runs; with test paths given, only
those, in the N groups).

Every process collects the same tests and takes the next test module nobody has taken, longest
first by ``.test_durations`` (``tests/claims.py``), until none is left: the processes end
together. ``--store-durations`` (what ``make test-durations`` runs) records each test's duration
again, each process in a copy of its own, merged at the end (pytest-split's recorder). Each
process has its own RabbitMQ and PostgreSQL (``tests/servers.py``). pytest-xdist would be the
usual tool, but its workers talk to the controller over execnet, whose threads deadlock once
eventlet has monkey-patched the process, and nameko needs that patching: separate processes
share nothing but the machine and a folder of claims.

Each group's output goes to a file; a group's output is printed whole when it ends, and the
command ends with the status of the worst group. A group killed by a signal has failed, and a
group still running after ``TEST_GROUP_TIMEOUT`` seconds (default 2,400) is stopped and has
failed: a test that hangs past pytest-timeout (a server of its own gone, a greenlet that never
wakes) ends the run with its output instead of holding it for ever.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pmi_tools.processes import terminate
from tests.claims import CLAIMS, FIRST
from tests.pace import pace

ROOT = Path(__file__).resolve().parents[1]
DURATIONS = ROOT / ".test_durations"
# The end-to-end and browser tests share one stack per pytest process (the ``stack`` fixture,
# started as ``make run`` starts it, half a minute on this machine): split among the groups, every
# group would start one; together they run in a process of their own beside the groups.
ONE_STACK = ("tests/e2e", "tests/browser")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.parallel",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--groups",
        type=int,
        default=int(os.environ.get("TEST_GROUPS", "3")),
        help="pytest processes at once (TEST_GROUPS, default 3)",
    )
    parser.add_argument(
        "--store-durations",
        action="store_true",
        help="record each test's duration in .test_durations",
    )
    parser.add_argument(
        "--group-timeout",
        type=float,
        default=float(os.environ.get("TEST_GROUP_TIMEOUT", "2400")),
        help="seconds a group may run before it is stopped as failed",
    )
    args, pytest_args = parser.parse_known_args(argv)
    logs = Path(tempfile.mkdtemp(prefix="pmi-tests-"))
    reference = pace()
    print(
        f"this machine's pace: {reference:.3f} s for the reference work (tests/pace.py)", flush=True
    )
    started = time.monotonic()
    # told to stop (a CI's timeout, `kill`): the groups are stopped and the scratch folder,
    # in memory, removed, as when interrupted from the keyboard
    signal.signal(signal.SIGTERM, _terminated)
    scratch = _scratch()
    env = _group_env(scratch)
    running = {}
    if args.store_durations:
        pytest_args = [*pytest_args, "--store-durations"]
    claims = logs / "claims"
    claims.mkdir()
    env[CLAIMS] = str(claims)
    pytest = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.claims"]
    paths = [arg for arg in pytest_args if not arg.startswith("-") and (ROOT / arg).exists()]
    if not paths:  # the whole suite: the stack's tests first in a process of its own
        durations = _durations_for(logs, "stack", args.store_durations)
        log = (logs / "group-stack.log").open("w")
        command = [*pytest, f"--durations-path={durations}", *pytest_args]
        running["stack"] = (
            subprocess.Popen(
                command,
                cwd=ROOT,
                env={**env, FIRST: os.pathsep.join(ONE_STACK)},
                stdout=log,
                stderr=subprocess.STDOUT,
            ),
            log,
        )
        pytest_args = [*pytest_args, *(f"--ignore={path}" for path in ONE_STACK)]
    for group in range(1, args.groups + 1):
        log = (logs / f"group-{group}.log").open("w")
        durations = _durations_for(logs, group, args.store_durations)
        # one argument: pytest takes a path standing alone for a test path
        command = [*pytest, f"--durations-path={durations}", *pytest_args]
        running[group] = (
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT),
            log,
        )
    print(f"{len(running)} groups of tests running; their output: {logs}", flush=True)
    try:
        worst = _wait(running, len(running), logs, started, args.group_timeout, reference)
    finally:
        # none outlives the command: each told to stop its servers, killed a minute later
        terminate([process for process, _log in running.values()], timeout=60)
        _kill_leftovers(scratch)
        shutil.rmtree(scratch, ignore_errors=True)
    if args.store_durations:
        _merge_durations(sorted(logs.glob("durations-*.json")))
    return worst


def _terminated(signum, frame):
    raise SystemExit(128 + signum)


def _group_env(scratch: Path) -> dict[str, str]:
    """A group's environment: this one, with Python keeping the bytecode it compiles (see the
    Makefile: compiling the platform and rewriting the tests afresh in every process of the run
    costs a tenth of its CPU), and ``scratch`` for its temporary files."""
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "", "TMPDIR": str(scratch)}


# Room the run's temporary files may take in memory: a group's servers take a few hundred MB.
MEMORY_NEEDED = 4 * 2**30


def _scratch() -> Path:
    """The run's temporary files (the suite's servers' data, the tests' ``tmp_path``, the
    browsers' profiles): in memory where the machine has a tmpfs with room (``/dev/shm``), on
    disk otherwise. The servers write as if for keeps (RabbitMQ's quorum queues sync their log
    at every batch, PostgreSQL creates a database per service and group and empties tables
    after every test): on a disk, its journal and flushes cost an eighth of the run's CPU, and
    none of it outlives the run."""
    memory = Path("/dev/shm")
    try:
        usage = shutil.disk_usage(memory)
        writable = memory.is_dir() and os.access(memory, os.W_OK | os.X_OK)
    except OSError:
        writable = False
    folder = Path(
        tempfile.mkdtemp(
            prefix="pmi-tests-tmp-",
            dir=memory if writable and usage.free >= MEMORY_NEEDED else None,
        )
    )
    os.chmod(folder, 0o755)  # PostgreSQL's own user walks through it (tests/servers.py)
    return folder


def _durations_for(logs: Path, group, storing: bool) -> Path:
    """The durations a group reads; when they are being recorded, a copy of its own."""
    if not storing:
        return DURATIONS
    durations = logs / f"durations-{group}.json"
    shutil.copyfile(DURATIONS, durations)
    return durations


def _merge_durations(paths: list[Path]) -> None:
    """Each group's copy differs from the recorded durations in the tests it ran."""
    recorded = json.loads(DURATIONS.read_text())
    merged = dict(recorded)
    for path in paths:
        for test, seconds in json.loads(path.read_text()).items():
            if recorded.get(test) != seconds:
                merged[test] = seconds
    DURATIONS.write_text(json.dumps(merged, sort_keys=True, indent=4) + "\n")


def _wait(
    running: dict, groups: int, logs: Path, started: float, limit: float, reference: float = 0
) -> int:
    """Waits for every group, prints each one's output as it ends and the run's verdict last
    (with its time in paces of the machine, ``reference`` seconds each, when measured)."""
    worst = 0
    while running:
        for group, (process, log) in list(running.items()):
            if process.poll() is None:
                if time.monotonic() - started > limit:
                    terminate([process], timeout=60)  # its servers stopped first
                    log.write(f"\n===== stopped after {limit:.0f} s (TEST_GROUP_TIMEOUT) =====\n")
                continue
            log.close()
            del running[group]
            print(
                f"\n===== group {group} of {groups}: exit status {process.returncode} "
                f"after {time.monotonic() - started:.0f} s =====",
                flush=True,
            )
            print((logs / f"group-{group}.log").read_text(errors="replace"), flush=True)
            worst = max(worst, _status(process.returncode))
        time.sleep(0.5)
    if worst:
        _summarise(sorted(logs.glob("group-*.log")))
    seconds = time.monotonic() - started
    paces = f" ({seconds / reference:,.0f} paces of {reference:.3f} s)" if reference else ""
    print(
        f"all groups done in {seconds:.0f} s{paces}; {'passed' if worst == 0 else 'FAILED'}",
        flush=True,
    )
    return worst


# What names a failure in a group's output: pytest's summary lines, the hang report's heading
# (tests/hang_report.py), and a group stopped by TEST_GROUP_TIMEOUT.
FAILURE_LINES = ("FAILED ", "ERROR ", "===== stopped after")
HANG_REPORT = " is still running, "


def _summarise(logs: list[Path]) -> None:
    """The failures of every group again, last: a run's output is long, and whoever reads only
    its end (a CI log's tail) must still learn which tests failed or hung."""
    print("\n===== what failed =====", flush=True)
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith(FAILURE_LINES) or (line.startswith("==== ") and HANG_REPORT in line):
                print(f"{log.stem}: {line[:300]}", flush=True)


def _status(returncode: int) -> int:
    """A group's exit status as the run's: 5 (no tests to run) is not a failure; killed by a
    signal (negative) is, as a shell reports it."""
    if returncode == 5:
        return 0
    return 128 - returncode if returncode < 0 else returncode


def _kill_leftovers(scratch: Path) -> None:
    """Whatever a group started and left running when it was killed (its RabbitMQ, PostgreSQL
    and stack processes run in sessions of their own, and a killed group stops none of them):
    every process that names ``scratch`` in its command line or environment (each inherits the
    group's ``TMPDIR``)."""
    mark = re.compile(re.escape(str(scratch).encode()) + rb"(?:/|\x00|$)")  # not a longer name
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            named = any(mark.search((entry / part).read_bytes()) for part in ("cmdline", "environ"))
        except OSError:  # gone, or not ours to read
            continue
        if named:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                pass


if __name__ == "__main__":
    sys.exit(main())
