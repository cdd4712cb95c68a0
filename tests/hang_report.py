"""What every greenlet was doing when a test hangs.

pytest-timeout reports a hung test by the stacks of the process's threads, but under eventlet a
test waits in a greenlet, whose stack no thread shows. Thirty seconds before a test's timeout
(its ``@pytest.mark.timeout``, ``--timeout``, or the ``timeout`` ini value), a real thread writes
the stack of every live greenlet to the terminal, so the report says where the test was waiting."""

from __future__ import annotations

import gc
import sys
import traceback

import eventlet.patcher
import greenlet
import pytest

_threading = eventlet.patcher.original("threading")
_time = eventlet.patcher.original("time")
MARGIN = 30.0  # seconds before the timeout


class HangReport:
    def __init__(self) -> None:
        self.deadline: float | None = None
        self.nodeid = ""
        _threading.Thread(target=self._watch, name="hang-report", daemon=True).start()

    def _watch(self) -> None:
        while True:
            _time.sleep(1.0)
            deadline = self.deadline
            if deadline is not None and _time.monotonic() > deadline:
                self.deadline = None
                sys.stderr.write(self.report())
                sys.stderr.flush()

    def report(self) -> str:
        stacks = []
        for each in gc.get_objects():
            try:  # a weak proxy among the objects raises once its referent is gone
                if not isinstance(each, greenlet.greenlet):
                    continue
                frame = each.gr_frame
            except ReferenceError:
                continue
            if frame is not None:
                stacks.append("".join(traceback.format_stack(frame)))
        return (
            f"\n==== {self.nodeid} is still running, {MARGIN:g} s before its timeout: "
            f"the stacks of its {len(stacks)} greenlets ====\n"
            + "\n".join(f"--- greenlet {n}\n{stack}" for n, stack in enumerate(stacks, 1))
        )

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        marker = item.get_closest_marker("timeout")
        if marker and marker.args:
            timeout = float(marker.args[0])
        else:  # as pytest-timeout reads it: ``--timeout`` first, then the ini value
            timeout = float(
                item.config.getoption("timeout", None) or item.config.getini("timeout") or 0
            )
        self.nodeid = item.nodeid
        self.deadline = _time.monotonic() + timeout - MARGIN if timeout > MARGIN else None
        try:
            yield
        finally:
            self.deadline = None


def pytest_configure(config):
    config.pluginmanager.register(HangReport(), "hang-report")
