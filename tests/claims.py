"""The test modules shared out as the run goes (``-p tests.claims``, what ``tests.parallel``
loads): every pytest process of a run collects the same tests and takes the next module nobody
has taken, until none is left, so the processes end together however long each module turns out
to take on the day.

A module is taken whole (``os.mkdir`` of its name in ``PMI_TEST_CLAIMS``, which one process
alone can do): its module fixtures (a stack of services, a vhost of its own) are set up once,
in one process. Modules are offered longest first, from ``.test_durations``, so the last to be
taken are the shortest and nobody is left running one long module while the others wait. The
tests of a module run in their order, and a process takes its next module before the last test
of the one it runs, so pytest tears down only what the next test does not need.

Tests under ``PMI_TEST_FIRST`` (paths, joined by ``os.pathsep``) run first and are taken by
nobody else: the end-to-end and browser tests, on the one stack their process starts, which the
other processes do not collect.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

CLAIMS = "PMI_TEST_CLAIMS"
FIRST = "PMI_TEST_FIRST"
DURATIONS = Path(__file__).resolve().parents[1] / ".test_durations"
# what a test not yet in .test_durations is taken to last
UNKNOWN_SECONDS = 1.0


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def by_module(items: Iterable) -> dict[str, list]:
    """The items grouped by module, in the order they were collected."""
    modules: dict[str, list] = {}
    for item in items:
        modules.setdefault(module_of(item.nodeid), []).append(item)
    return modules


def offered(modules: dict[str, list], durations: dict[str, float]) -> list[str]:
    """The modules longest first (a tie in the order collected)."""
    return sorted(
        modules,
        key=lambda module: (
            -sum(durations.get(item.nodeid, UNKNOWN_SECONDS) for item in modules[module])
        ),
    )


def claim(folder: Path, module: str) -> bool:
    """True for the one process that takes ``module``."""
    try:
        os.mkdir(folder / module.replace("/", "__"))
    except FileExistsError:
        return False
    return True


def firsts(modules: Iterable[str], paths: Iterable[str]) -> list[str]:
    prefixes = [path.rstrip("/") for path in paths if path]
    return [
        module
        for module in modules
        if any(module == prefix or module.startswith(prefix + "/") for prefix in prefixes)
    ]


def taken(folder: Path, modules: dict[str, list], first: list[str]) -> Iterator[str]:
    """The modules this process runs: its own first, then each one it manages to claim."""
    yield from first
    durations = json.loads(DURATIONS.read_text()) if DURATIONS.exists() else {}
    for module in offered({m: modules[m] for m in modules if m not in first}, durations):
        if claim(folder, module):
            yield module


@pytest.hookimpl(trylast=True)  # after the terminal reporter is made
def pytest_configure(config):
    if os.environ.get(CLAIMS):
        # the share of the collected tests this process will run is not known beforehand: a
        # percentage of them would mislead
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter._show_progress_info = False


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    folder = os.environ.get(CLAIMS)
    if not folder:
        return None  # pytest's own loop: every collected test
    if session.testsfailed and not session.config.option.continue_on_collection_errors:
        raise session.Interrupted(
            f"{session.testsfailed} error{'s' if session.testsfailed != 1 else ''} "
            "during collection"
        )
    if session.config.option.collectonly:
        return True
    modules = by_module(session.items)
    first = firsts(modules, os.environ.get(FIRST, "").split(os.pathsep))
    queue = taken(Path(folder), modules, first)
    module = next(queue, None)
    while module is not None:
        items = modules[module]
        following = None
        for index, item in enumerate(items):
            if index + 1 < len(items):
                nextitem = items[index + 1]
            else:  # the next module taken before this one's last test: its fixtures can stay
                following = next(queue, None)
                nextitem = modules[following][0] if following is not None else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            if session.shouldfail:
                raise session.Failed(session.shouldfail)
            if session.shouldstop:
                raise session.Interrupted(session.shouldstop)
        module = following
    return True
