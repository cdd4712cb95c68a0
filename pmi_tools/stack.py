"""Run the whole platform on one machine: ``python -m pmi_tools.stack`` (what ``make run`` does).

Starts the services and the gateway as separate processes (each migrates its own database and
declares the broker topology first), forked from one parent that has imported the platform once
(``pmi_tools.preload``: a process serves in a fraction of the second an import takes). Every line
they print is already JSON naming its service. A process that dies is started again, as a
container platform would (``restart: unless-stopped``); one that keeps dying stops the platform.
Ctrl-C or SIGTERM stops them all.

To take one process out for a while (maintenance, or a rehearsal of an outage), create a file named
after it in the hold directory, ``$PMI_STATE_DIR/hold/`` (``var/hold/documents``): it is stopped
and not restarted until the file is removed, then started again.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections import deque

from pmi_common.green import import_eventlet

import_eventlet()  # quietly, and without the green resolver: this process resolves no names

from eventlet import patcher  # noqa: E402

from pmi_common.amqp import broker_reachable  # noqa: E402
from pmi_common.config import STATE_DIR, amqp_uri  # noqa: E402
from pmi_common.runner import BROKER_HELP, SERVICE_CLASSES, _safe  # noqa: E402
from pmi_tools.processes import terminate  # noqa: E402

PROCESSES = tuple(SERVICE_CLASSES)
_os, _select = patcher.original("os"), patcher.original("select")
CRASH_WINDOW_SECONDS = 60
CRASHES_ALLOWED = 5
HOLD_DIR = STATE_DIR / "hold"


class Preloaded:
    """The parent the supervisor's processes are forked from (``pmi_tools.preload``): started
    with the supervisor's environment and output; ``spawn`` gives a process as ``subprocess``
    does, its end learned from the parent, which reaps it."""

    def __init__(self, env: dict | None = None, **popen):
        answers, self._write_end = os.pipe()
        self._answers = answers
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pmi_tools.preload", str(self._write_end)],
            env={**os.environ, **(env or {})},
            stdin=subprocess.PIPE,
            pass_fds=(self._write_end,),
            **popen,
        )
        os.close(self._write_end)
        self._pending = b""
        self._requests = itertools.count(1)
        self._forked: dict[int, int] = {}  # request -> pid
        self.exited: dict[int, int] = {}  # pid -> status

    def spawn(self, service: str, env: dict | None = None, timeout: float = 120) -> Forked:
        stdin = self.process.stdin
        assert stdin is not None
        request = next(self._requests)
        line = json.dumps({"request": request, "service": service, "env": env or {}})
        stdin.write(line.encode() + b"\n")
        stdin.flush()
        deadline = time.monotonic() + timeout  # the first waits for the parent's imports
        while request not in self._forked:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the preloading parent did not fork {service}")
            self.collect(wait=0.5)
        return Forked(self._forked.pop(request), self)

    def collect(self, wait: float = 0) -> None:
        """Read what the parent has said (processes forked, processes ended); for up to ``wait``
        seconds if it has said nothing. The pipe is read without waiting on it (the system's
        ``select`` and ``read``, never eventlet's): where the supervisor runs beside other
        greenlets (the reliability tests), two of them may ask at once, and eventlet allows one
        reader of a descriptor at a time."""
        deadline = time.monotonic() + wait
        while True:
            readable, _, _ = _select.select([self._answers], [], [], 0)
            if readable:
                chunk = _os.read(self._answers, 65536)
                if chunk:
                    self._take(chunk)
                    continue
            if time.monotonic() >= deadline:
                return
            time.sleep(0.02)

    def _take(self, chunk: bytes) -> None:
        self._pending += chunk
        while b"\n" in self._pending:
            line, self._pending = self._pending.split(b"\n", 1)
            answer = json.loads(line)
            if "pid" in answer:
                self._forked[answer["request"]] = answer["pid"]
            else:
                self.exited[answer["exited"]] = answer["status"]

    def gone(self) -> bool:
        return self.process.poll() is not None

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._answers)


class Forked:
    """A process forked by the preloading parent, with the part of ``subprocess.Popen`` the
    supervisor uses."""

    def __init__(self, pid: int, parent: Preloaded):
        self.pid = pid
        self.parent = parent
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.parent.collect()
            if self.pid in self.parent.exited:
                self.returncode = self.parent.exited.pop(self.pid)
            elif self.parent.gone() and not _alive(self.pid):
                self.returncode = -signal.SIGKILL  # its parent is gone, and so is it
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0)
            self.parent.collect(wait=0.05)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


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
        self.children: dict[str, Forked | subprocess.Popen] = {}
        self.crashes: dict[str, deque] = {name: deque() for name in self.plan}
        self.restarts = 0
        self.held: set[str] = set()
        self.preloaded: Preloaded | None = None

    def _spawn(self, name: str) -> Forked | subprocess.Popen:
        service, n = self.plan[name]
        if self.preloaded is None or self.preloaded.gone():  # started again if it died
            self.preloaded = Preloaded(self.env, **self.popen)
        return self.preloaded.spawn(service, self.instance_env(service, n))

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
            terminate([self.children[name]])
        for name in sorted(self.held - names):
            print(f"{name} released: starting it again", file=sys.stderr, flush=True)
            self.children[name] = self._spawn(name)
        self.held = names

    def stop(self, timeout: float = 15) -> None:
        terminate(self.children.values(), timeout)
        if self.preloaded is not None:
            self.preloaded.close()


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
