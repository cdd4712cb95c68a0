"""The machine's pace: how long one core takes over a fixed piece of Python work, the kind the
suite does most (building and walking dicts and lists, JSON in and out, plain arithmetic).

Two machines sold as the same 2-core size differ about threefold in how fast they run the suite,
and one machine differs from hour to hour with its neighbours: a run's wall time alone says
little. ``tests.parallel`` measures the pace before the groups start and gives the run's time in
paces too, so runs on different machines (or days) can be compared: the same suite takes about
the same number of paces wherever it runs. The best of a few tries is taken, since the fastest
try is the one least disturbed."""

from __future__ import annotations

import json
import time

TRIES = 5


def _reference_work() -> int:
    records = [
        {"id": i, "name": f"worker-{i}", "regency": "3505", "steps": [i % 7, i % 11, i % 13]}
        for i in range(20_000)
    ]
    again = json.loads(json.dumps(records))
    total = sum(record["id"] for record in again if record["steps"][0] == 3)
    for i in range(400_000):
        total += i * i % 7
    return total


def pace(tries: int = TRIES) -> float:
    """Seconds one core takes over the reference work (the best of ``tries``)."""
    best = float("inf")
    for _ in range(tries):
        started = time.perf_counter()
        _reference_work()
        best = min(best, time.perf_counter() - started)
    return best
