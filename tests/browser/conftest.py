"""The operators' console in a real browser: Debian's ``chromium`` driven by Playwright, against
the stack as ``make run`` starts it (the ``stack`` fixture, shared with the end-to-end tests: see
``tests/e2e/conftest.py``; its console samples the queues and refreshes every second).

Set ``PMI_CONSOLE_SCREENSHOTS=docs/console`` to write the screenshots the docs show."""

from __future__ import annotations

import asyncio
import os
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}
SCREENSHOTS = os.environ.get("PMI_CONSOLE_SCREENSHOTS")
WAIT_MS = 60_000  # a ceiling: the broker's statistics lag a second, the page refreshes every one

if not CHROMIUM.exists():
    pytest.skip(
        "the browser tests need Debian's chromium: apt-get install chromium",
        allow_module_level=True,
    )


@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright

    # Not stopped at the end: under the test suite's eventlet monkey patching, the sync API's
    # stop() waits forever for the driver's pipe to close. Its driver leaves with this process.
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    # Between its calls the sync API leaves its asyncio loop marked as running in this thread
    # (what stop() would undo): the tests that run after these in the same process (a letter
    # signed by pyHanko, which runs a loop of its own) must find none.
    asyncio._set_running_loop(None)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=LAPTOP, locale="id-ID")
    opened = context.new_page()
    errors = []
    # what the page did, printed after the test: pytest shows it when the test failed
    started, seen = time.monotonic(), []

    def note(what: str) -> None:
        seen.append(f"{time.monotonic() - started:6.1f} s  {what}")

    def console(message) -> None:
        note(f"console {message.type}: {message.text}")
        if message.type == "error":
            errors.append(message.text)

    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on("console", console)
    opened.on(
        "framenavigated",
        lambda frame: note(f"navigated: {frame.url}") if frame == opened.main_frame else None,
    )
    opened.on("request", lambda r: note(f"{r.method} {r.url}") if "/api/" in r.url else None)
    yield opened
    context.close()
    print("what the page did:", *seen, sep="\n  ")
    refused = [e for e in errors if "401" not in e and "403" not in e]
    assert not refused, f"the page reported errors: {refused}"


def sign_in(page, stack, role: str = "operator", sub: str = "siti.operator", **claims):
    page.goto(f"{stack.base_url}/console")
    page.get_by_label("Token akses").fill(stack.token(role, sub=sub, **claims))
    page.get_by_role("button", name="Masuk").click()


def screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


@contextmanager
def held(stack, process: str):
    """One process of the stack stopped (``pmi_tools.stack``'s hold directory), then back."""
    hold = Path(stack.env["PMI_STATE_DIR"]) / "hold"
    hold.mkdir(parents=True, exist_ok=True)
    (hold / process).touch()
    try:
        yield
    finally:
        (hold / process).unlink()
