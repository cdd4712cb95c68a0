"""The parallel runner's verdict: a group killed or hanging fails the run."""

import subprocess
import sys

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
