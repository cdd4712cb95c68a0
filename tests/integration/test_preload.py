"""The supervisor's processes forked from the preloading parent (``pmi_tools.preload``): each is
the runner for its service, with the supervisor's environment and its own; its end, by exit or by
signal, reaches the supervisor, which starts it again; stopping leaves no process behind.

The services here find no broker (a port nothing listens on, no time allowed to wait for one), so
each ends as the runner ends then: status 1, saying what is missing."""

from __future__ import annotations

import os
import signal
import time

import pytest

from pmi_tools.stack import Supervisor
from tests import servers


def _dies_at_once(tmp_path) -> dict:
    return {
        "AMQP_URI": f"amqp://guest:guest@127.0.0.1:{servers.free_port()}/",
        "STARTUP_SECONDS": "0",
        "PMI_ENV": "development",
        "PMI_STATE_DIR": str(tmp_path),
    }


def _ended(child, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while child.poll() is None:
        assert time.monotonic() < deadline, f"pid {child.pid} did not end"
        time.sleep(0.05)
    return child.returncode


def test_a_forked_service_runs_the_runner_with_its_own_settings_and_its_end_is_told(tmp_path):
    log = tmp_path / "platform.log"
    ports = {n: servers.free_port() for n in (1, 2)}
    with log.open("w") as out:
        supervisor = Supervisor(
            services=("protection",),
            instances=2,
            env=_dies_at_once(tmp_path),
            instance_env=lambda service, n: {"AMQP_URI": f"amqp://guest@127.0.0.1:{ports[n]}/"},
            keep_trying=True,
            stdout=out,
            stderr=out,
        )
        supervisor.start()
        try:
            first, second = supervisor.children["protection-1"], supervisor.children["protection-2"]
            assert first.pid != second.pid
            assert first.pid not in (os.getpid(), supervisor.preloaded.process.pid)
            assert _ended(first) == 1 and _ended(second) == 1  # the runner's exit: no broker

            assert supervisor.check() is None
            assert supervisor.restarts == 2
            assert supervisor.children["protection-1"] is not first
        finally:
            supervisor.stop()
    said = log.read_text()
    # each process read its own setting, given on top of the supervisor's environment
    assert f"127.0.0.1:{ports[1]}" in said and f"127.0.0.1:{ports[2]}" in said
    assert "RabbitMQ is not reachable" in said


def test_a_forked_process_killed_is_told_as_killed_and_stopping_leaves_none(tmp_path):
    waits = {**_dies_at_once(tmp_path), "STARTUP_SECONDS": "600"}  # for a broker, meanwhile
    supervisor = Supervisor(services=("protection",), env=waits)
    supervisor.start()
    child = supervisor.children["protection"]
    parent = supervisor.preloaded
    try:
        time.sleep(0.5)
        assert child.poll() is None
        child.kill()
        assert child.wait(timeout=30) == -signal.SIGKILL
        supervisor.check()
        again = supervisor.children["protection"]
        assert again.pid != child.pid and again.poll() is None
    finally:
        supervisor.stop()
    assert again.poll() is not None
    assert parent is not None and parent.process.poll() == 0
    with pytest.raises(ProcessLookupError):
        os.kill(again.pid, 0)
