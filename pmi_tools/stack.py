"""Run the whole platform on one machine: ``python -m pmi_tools.stack`` (what ``make run`` does).

Starts the four services and the gateway as separate processes (each migrates its own database and
declares the broker topology first). Every line they print is already JSON naming its service. A
process that dies is started again, as a container platform would (``restart: unless-stopped``);
one that keeps dying stops the platform. Ctrl-C or SIGTERM stops them all.

To take one process out for a while (maintenance, or a rehearsal of an outage), create a file named
after it in the hold directory, ``$PMI_STATE_DIR/hold/`` (``var/hold/documents``): it is stopped
and not restarted until the file is removed, then started again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import deque

from pmi_common.amqp import broker_reachable
from pmi_common.config import STATE_DIR, amqp_uri
from pmi_common.runner import BROKER_HELP, SERVICE_CLASSES, _safe

PROCESSES = tuple(SERVICE_CLASSES)
CRASH_WINDOW_SECONDS = 60
CRASHES_ALLOWED = 5
HOLD_DIR = STATE_DIR / "hold"


def spawn(service: str, env: dict | None = None, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pmi_common.runner", service],
        env={**os.environ, **(env or {})},
        **popen,
    )


class Supervisor:
    """Keeps the platform's processes running; restarts the ones that die.

    ``instances`` runs several competing processes of a service (named ``<service>-<n>``);
    ``instance_env(service, n)`` gives each its own settings (e.g. the gateway's port).
    """

    def __init__(
        self,
        services=PROCESSES,
        env: dict | None = None,
        instances: int = 1,
        instance_env=None,
        keep_trying: bool = False,
        **popen,
    ):
        self.env = env
        self.keep_trying = keep_trying
        self.popen = popen
        self.plan = {
            (service if instances == 1 else f"{service}-{n}"): (service, n)
            for service in services
            for n in range(1, instances + 1)
        }
        self.instance_env = instance_env or (lambda service, n: {})
        self.children: dict[str, subprocess.Popen] = {}
        self.crashes: dict[str, deque] = {name: deque() for name in self.plan}
        self.restarts = 0
        self.held: set[str] = set()

    def _spawn(self, name: str) -> subprocess.Popen:
        service, n = self.plan[name]
        return spawn(service, {**(self.env or {}), **self.instance_env(service, n)}, **self.popen)

    def start(self) -> None:
        for name in self.plan:
            self.children[name] = self._spawn(name)

    def check(self) -> str | None:
        """Restart any process that exited; the name of one that keeps crashing, if any
        (the others are restarted all the same)."""
        now = time.monotonic()
        failing = None
        for service, child in list(self.children.items()):
            if service in self.held or child.poll() is None:
                continue
            crashes = self.crashes[service]
            crashes.append(now)
            while crashes and now - crashes[0] > CRASH_WINDOW_SECONDS:
                crashes.popleft()
            if len(crashes) > CRASHES_ALLOWED and not self.keep_trying:
                failing = failing or service
                continue
            print(
                f"{service} exited with status {child.returncode}; starting it again",
                file=sys.stderr,
                flush=True,
            )
            self.children[service] = self._spawn(service)
            self.restarts += 1
        return failing

    def hold(self, names: set[str]) -> None:
        """Keep exactly ``names`` stopped: stop those newly held, start those released."""
        names = names & set(self.plan)
        for name in sorted(names - self.held):
            print(f"{name} held: stopping it until it is released", file=sys.stderr, flush=True)
            _terminate([self.children[name]])
        for name in sorted(self.held - names):
            print(f"{name} released: starting it again", file=sys.stderr, flush=True)
            self.children[name] = self._spawn(name)
        self.held = names

    def stop(self, timeout: float = 15) -> None:
        _terminate(self.children.values(), timeout)


def _terminate(children, timeout: float = 15) -> None:
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


def held_names(hold_dir=HOLD_DIR) -> set[str]:
    """The processes an operator holds: the files in the hold directory."""
    try:
        return {path.name for path in hold_dir.iterdir() if path.is_file()}
    except FileNotFoundError:
        return set()


def main() -> int:
    reason = broker_reachable(amqp_uri())
    if reason:
        print(BROKER_HELP.format(uri=_safe(amqp_uri()), reason=reason), file=sys.stderr)
        return 2
    HOLD_DIR.mkdir(parents=True, exist_ok=True)  # `touch var/hold/documents` works at once
    supervisor = Supervisor()
    stopping = False

    def _stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    supervisor.start()
    status = 0
    while not stopping:
        supervisor.hold(held_names())
        failing = supervisor.check()
        if failing:
            print(f"{failing} keeps crashing; stopping the platform", file=sys.stderr)
            status = 1
            break
        time.sleep(0.2)
    supervisor.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
