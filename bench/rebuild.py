"""Rebuild: the reporting service's read model emptied and filled again from every service's
history, as ``pmi reports rebuild`` does it (the command itself, run against the platform). The
history is what the bench's earlier phases left: the lifecycle's and the imports' events, and
the backfill's year of registration's events (in the outbox and, packed, in its archive).

The figure is the events applied per second, from the command's start to its end, counted by
the reporting service's inbox (every event applied once is a row there), against the kombu
floor: the rebuild reads each page over RPC and applies it in one transaction per page, so its
ceiling is the broker's and the database's, not the services' handlers. Stopped at ``limit``
seconds: what the inbox holds by then is what is reported, nothing extrapolated.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

from sqlalchemy import text

from .platform import Platform
from .processes import CpuMeter

COMMAND = (sys.executable, "-m", "pmi_tools.cli", "reports", "rebuild")
PAGE_TIMEOUT = 120  # seconds a service may take to answer one page of its history


def applied(platform: Platform) -> int:
    with platform.engine("reporting").connect() as conn:
        return conn.execute(text("SELECT count(*) FROM inbox")).scalar()


def facts(platform: Platform) -> int:
    with platform.engine("reporting").connect() as conn:
        return conn.execute(text("SELECT count(*) FROM facts")).scalar()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(platform: Platform, limit: float) -> dict:
    before = applied(platform)  # heard live: the rebuild empties and applies them again
    pids = {k: v for k, v in platform.pids().items() if k != "gateway"}
    meter = CpuMeter(pids).start()
    children = _children_cpu()
    started = time.monotonic()
    command = subprocess.Popen(
        [*COMMAND, "--timeout", str(PAGE_TIMEOUT)],
        env={**os.environ, **platform.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = command.communicate(timeout=limit)
        finished = command.returncode == 0
    except subprocess.TimeoutExpired:
        command.kill()
        output, _ = command.communicate()
        finished = False
    output = (output or "")[-2000:]
    seconds = time.monotonic() - started
    cpu = meter.stop()
    # the command applies the events itself (the services only answer pages): its own CPU,
    # counted once it has ended
    cpu["cpu_percent_of_one_core"]["pmi reports rebuild"] = round(
        100 * (_children_cpu() - children) / seconds, 1
    )
    events = applied(platform)
    return {
        "heard_live_before": before,
        "events": events,
        "facts": facts(platform),
        "finished": finished,
        "limit_seconds": limit,
        "seconds": round(seconds, 1),
        "events_per_second": events / seconds if seconds else None,
        "replayed": [line for line in output.splitlines() if "events replayed" in line],
        "error": None if finished else output[-300:],
        "cpu": cpu,
    }
