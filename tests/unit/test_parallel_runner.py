"""The parallel runner's verdict: a group killed or hanging fails the run."""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests import parallel


def _group(tmp_path, code: str):
    log = (tmp_path / "group-1.log").open("w")
    return {
        1: (
            subprocess.Popen([sys.executable, "-c", code], stdout=log, stderr=subprocess.STDOUT),
            log,
        )
    }


def test_a_group_killed_by_a_signal_fails_the_run(tmp_path):
    running = _group(tmp_path, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    assert parallel._wait(running, 1, tmp_path, parallel.time.monotonic(), 600) == 137


def test_a_group_that_outlives_its_limit_is_stopped_and_fails_the_run(tmp_path, capsys):
    running = _group(tmp_path, "import time; print('started', flush=True); time.sleep(600)")
    started = parallel.time.monotonic()
    assert parallel._wait(running, 1, tmp_path, started, 1) != 0
    assert "stopped after 1 s (TEST_GROUP_TIMEOUT)" in capsys.readouterr().out


def test_a_group_with_no_tests_is_not_a_failure(tmp_path):
    running = _group(tmp_path, "raise SystemExit(5)")
    assert parallel._wait(running, 1, tmp_path, parallel.time.monotonic(), 600) == 0


def test_the_run_ends_by_naming_what_failed_and_what_hung(tmp_path, capsys):
    output = (
        "print('tests/unit/test_a.py ..F');"
        "print('==== tests/e2e/test_b.py::test_waits is still running, 30 s before its timeout');"
        "print('=' * 20 + ' short test summary info ' + '=' * 20);"
        "print('FAILED tests/unit/test_a.py::test_three - assert 1 == 2');"
        "print('==== 1 failed, 608 passed, 1 skipped, 1222 deselected in 375.40s (0:06:15) =====');"
        "raise SystemExit(1)"
    )
    running = _group(tmp_path, output)
    assert parallel._wait(running, 1, tmp_path, parallel.time.monotonic(), 600) == 1
    last = capsys.readouterr().out.split("===== what failed =====", 1)[1].splitlines()
    assert last[1:] == [
        "group-1: ==== tests/e2e/test_b.py::test_waits is still running, 30 s before its timeout",
        "group-1: FAILED tests/unit/test_a.py::test_three - assert 1 == 2",
        last[-1],
    ]
    assert last[-1].startswith("all groups done in") and last[-1].endswith("FAILED")


def test_a_run_that_passed_prints_no_failures(tmp_path, capsys):
    running = _group(tmp_path, "print('FAILED is only a word here')")
    assert parallel._wait(running, 1, tmp_path, parallel.time.monotonic(), 600) == 0
    assert "what failed" not in capsys.readouterr().out


def test_the_verdict_gives_the_runs_time_in_the_machines_paces(tmp_path, capsys):
    running = _group(tmp_path, "print('1 passed')")
    started = parallel.time.monotonic() - 30  # the run began half a minute ago
    assert parallel._wait(running, 1, tmp_path, started, 600, reference=0.5) == 0
    verdict = capsys.readouterr().out.splitlines()[-1]
    seconds = int(verdict.split("done in ")[1].split(" s")[0])
    paces = int(verdict.split("(")[1].split(" paces of 0.500 s); passed")[0])
    assert abs(paces - 2 * seconds) <= 1, verdict  # both rounded from the same time


def test_the_pace_is_the_fastest_of_its_tries_of_the_same_work():
    from tests import pace

    assert pace._reference_work() == pace._reference_work() > 0
    assert 0 < pace.pace(tries=1)


def test_the_groups_temporary_files_are_in_memory_where_there_is_room(monkeypatch):
    scratch = parallel._scratch()
    try:
        assert scratch.stat().st_mode & 0o777 == 0o755  # PostgreSQL's own user walks through
        assert parallel._group_env(scratch)["TMPDIR"] == str(scratch)
        roomy = shutil.disk_usage("/dev/shm").free >= parallel.MEMORY_NEEDED
        assert (scratch.parent == Path("/dev/shm")) == roomy
    finally:
        scratch.rmdir()
    monkeypatch.setattr(parallel, "MEMORY_NEEDED", 2**62)  # no tmpfs has that much room
    on_disk = parallel._scratch()
    try:
        assert on_disk.parent == Path(tempfile.gettempdir())
    finally:
        on_disk.rmdir()


def test_what_a_killed_group_left_running_is_stopped_with_the_run(tmp_path):
    scratch = tmp_path / "scratch"
    left = subprocess.Popen(["sleep", "600"], env={"TMPDIR": str(scratch)})  # as a group's server
    named = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)", str(scratch / "data")]
    )
    other = subprocess.Popen(["sleep", "600"], env={"TMPDIR": str(tmp_path / "scratch2")})
    try:
        parallel._kill_leftovers(scratch)
        assert left.wait(timeout=10) == -9
        assert named.wait(timeout=10) == -9
        assert other.poll() is None  # another run's
    finally:
        for process in (left, named, other):
            process.kill()
            process.wait()
