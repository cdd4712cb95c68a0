"""Child processes stopped together (standard library only: the test runner imports it too)."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterable


def terminate(children: Iterable[subprocess.Popen], timeout: float = 15) -> None:
    """Every child told to stop at once (SIGTERM, so each stops what it started), and killed if
    still running ``timeout`` seconds later."""
    children = list(children)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
