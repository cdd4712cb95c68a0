"""``python -m tests.flaky [--runs N] [--hogs H] [parallel arguments]``: the whole suite N times
in a row on a loaded machine (what ``make test-flaky`` runs).

A test that passes on a quiet machine and fails on a busy one is a test that fails: CI shares
its machine, and a developer's is never quiet. Beside each run, H processes spin on the CPU
(two by default: on a two-core machine the suite then gets about half of it). Each run is
``python -m tests.parallel`` as ``make test`` runs it; its output is kept in a file, and the
table at the end gives each run's status and time and names the tests that failed. The command
fails if any run failed. Told to stop (``kill``, a CI's timeout), it stops the run under way as
``tests.parallel`` stops (its servers with it) and the hogs; a hog whose command is gone
without a word (``kill -9``) stops by itself.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pmi_tools.processes import terminate
from tests.parallel import _terminated

ROOT = Path(__file__).resolve().parents[1]
FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)
# a group's closing line: "===== 1 failed, 399 passed, 1 skipped in 212.30s (0:03:32) ====="
PASSED = re.compile(r"^=+ (?:.*\D)?(\d+) passed.* in [\d.]+s", re.MULTILINE)


def spin(parent: int) -> None:  # pragma: no cover - runs in a process of its own
    """Busy until terminated, or until ``parent`` is no longer the process that started it."""
    while os.getppid() == parent:
        for _ in range(200_000):  # some tens of milliseconds between looks
            pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.flaky",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runs", type=int, default=10, help="runs of the suite (default 10)")
    parser.add_argument(
        "--hogs", type=int, default=2, help="processes spinning beside each run (default 2)"
    )
    args, parallel_args = parser.parse_known_args(argv)
    logs = Path(tempfile.mkdtemp(prefix="pmi-flaky-"))
    print(
        f"{args.runs} runs of the suite beside {args.hogs} CPU hogs; output in {logs}", flush=True
    )
    signal.signal(signal.SIGTERM, _terminated)  # the finally below stops the run and the hogs
    results = []
    for run in range(1, args.runs + 1):
        hogs = [
            multiprocessing.Process(target=spin, args=(os.getpid(),), daemon=True)
            for _ in range(args.hogs)
        ]
        for hog in hogs:
            hog.start()
        log = logs / f"run-{run}.log"
        started = time.monotonic()
        suite = None
        try:
            with log.open("w") as out:
                suite = subprocess.Popen(
                    [sys.executable, "-m", "tests.parallel", *parallel_args],
                    cwd=ROOT,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
                status = suite.wait()
        finally:
            if suite is not None:
                terminate([suite], timeout=90)  # a run told to stop stops its groups first
            for hog in hogs:
                hog.terminate()
                hog.join()
        seconds = time.monotonic() - started
        text = log.read_text(errors="replace")
        failed = sorted(set(FAILED.findall(text)))
        passed = PASSED.findall(text)
        results.append((run, status, seconds, sum(map(int, passed)), failed))
        print(
            f"run {run}: {'passed' if status == 0 else f'FAILED (exit {status})'} in "
            f"{seconds:.0f} s, {sum(map(int, passed))} tests passed"
            + "".join(f"\n    failed: {name}" for name in failed),
            flush=True,
        )
    bad = [result for result in results if result[1] != 0]
    print(
        f"\n{len(results) - len(bad)} of {len(results)} runs passed; "
        f"times {', '.join(f'{r[2]:.0f}' for r in results)} s",
        flush=True,
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
