"""Child processes of a benchmark run: started with their own environment, stopped by their id,
and their peak resident memory read from ``/proc/<pid>/status`` (VmHWM)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident set size in MB (VmHWM), or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Child:
    """``python -m <module> <args>`` with ``env`` added to this process's environment."""

    def __init__(self, module: str, *args: str, env: dict | None = None, log: Path | None = None):
        self.argv = [sys.executable, "-m", module, *args]
        self.env = {**os.environ, **(env or {})}
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> Child:
        out = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            self.argv, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
        return self

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def peak_rss_mb(self) -> float | None:
        return peak_rss_mb(self.pid) if self.alive() else None

    def stop(self, timeout: float = 15) -> None:
        if not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):
    """Poll ``predicate`` until it returns something truthy; its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout:g}s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU jiffies of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


SERVERS = {"postgresql": "postgres", "rabbitmq": "beam.smp"}


def server_cpu_seconds() -> dict[int, tuple[str, float]]:
    """CPU seconds of every PostgreSQL process and of the RabbitMQ node: pid -> (server, s)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        for server, name in SERVERS.items():
            if comm == name:
                found[int(entry.name)] = (server, cpu_seconds(int(entry.name)))
    return found


def _server_deltas(before: dict, after: dict) -> dict[str, float]:
    """CPU each server used in between (a process that ended meanwhile is not counted)."""
    totals = dict.fromkeys(SERVERS, 0.0)
    for pid, (server, seconds) in after.items():
        totals[server] += seconds - (before[pid][1] if pid in before else 0.0)
    return totals


class CpuMeter:
    """CPU used by each process, by PostgreSQL and RabbitMQ, and by the whole machine, between
    ``start()`` and ``stop()`` (in % of one core): what tells whether a figure is bound by CPU or
    by waiting. PostgreSQL and RabbitMQ count everything they did, for anyone; the machine's
    figure counts everything that ran on it, other people's work included."""

    def __init__(self, pids: dict[str, int]):
        self.pids = pids

    def start(self) -> CpuMeter:
        self._wall = time.monotonic()
        self._cpu = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self._servers = server_cpu_seconds()
        self._machine = machine_busy()
        return self

    def stop(self) -> dict:
        wall = time.monotonic() - self._wall
        busy, total = machine_busy()
        processes = {name: cpu_seconds(pid) - self._cpu[name] for name, pid in self.pids.items()}
        processes.update(_server_deltas(self._servers, server_cpu_seconds()))
        return {
            "machine_busy_percent": round(
                100 * (busy - self._machine[0]) / max(total - self._machine[1], 1), 1
            ),
            "cpu_percent_of_one_core": {
                name: round(100 * seconds / wall, 1) for name, seconds in processes.items()
            },
        }
