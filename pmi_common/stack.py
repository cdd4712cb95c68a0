"""Run the whole platform on one machine: ``python -m pmi_common.stack`` (what ``make run`` does).

Starts the four services and the gateway as separate processes (each migrates its own database and
declares the broker topology first), prefixes nothing (every line is already JSON naming its
service), and stops them all on Ctrl-C or SIGTERM. If one process dies, the others are stopped too
and the exit status says so.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from .amqp import broker_reachable
from .config import amqp_uri
from .runner import BROKER_HELP, SERVICE_CLASSES, _safe

PROCESSES = tuple(SERVICE_CLASSES)


def spawn(service: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pmi_common.runner", service],
                            env={**os.environ, **(env or {})})


def main() -> int:
    reason = broker_reachable(amqp_uri())
    if reason:
        print(BROKER_HELP.format(uri=_safe(amqp_uri()), reason=reason), file=sys.stderr)
        return 2
    os.environ.setdefault("PMI_ENV", "development")
    children = {service: spawn(service) for service in PROCESSES}
    stopping = False

    def _stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    status = 0
    while not stopping:
        for service, child in children.items():
            if child.poll() is not None:
                print(f"{service} exited with status {child.returncode}; stopping the platform",
                      file=sys.stderr)
                status, stopping = 1, True
                break
        time.sleep(0.2)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    return status


if __name__ == "__main__":
    sys.exit(main())
