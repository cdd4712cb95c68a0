"""The load generator, in other processes than the platform's: ``wrk`` when it is installed
(``apt-get install wrk``), else a Python generator of several processes with the same requests.

Each run keeps ``connections`` keep-alive connections busy for ``seconds`` and gives requests per
second, p50/p90/p99 latency, and how many answers were not 2xx.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from services.registration.regions import regions

WRK_SCRIPT = Path(__file__).with_name("wrk.lua")
PYTHON_PROCESSES = 2
# East Java's districts (Kemendagri codes): registration checks a NIK's region against the list,
# so each connection registers in a real district of its own (one per connection and salt)
DISTRICTS = sorted(code for code in regions().districts if code.startswith("35"))
DISTRICT_STRIDE = 64  # connections per run at most: salts never share a district


@dataclass
class Load:
    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    not_2xx: int
    socket_errors: int
    generator: str

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "rps": round(self.rps, 1)}


def generator() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def run(
    base_url: str,
    token: str,
    *,
    paths: list[str] | None = None,
    post: bool = False,
    connections: int = 16,
    seconds: float = 10,
    salt: int = 1,
    patch: bool = False,
) -> Load:
    """GET ``paths`` at random (PATCH a phone number there when ``patch``, or POST
    registrations when ``post``) for ``seconds``."""
    mode = "post" if post else "patch" if patch else "get"
    if generator() == "wrk":
        return _wrk(base_url, token, paths, mode, connections, seconds, salt)
    return _python(base_url, token, paths, mode, connections, seconds, salt)


def _wrk(base_url, token, paths, mode, connections, seconds, salt) -> Load:
    with tempfile.NamedTemporaryFile("w", suffix=".paths", delete=False) as handle:
        handle.write("\n".join(paths or ["/"]) + "\n")
    env = {
        **os.environ,
        "BENCH_MODE": mode,
        "BENCH_TOKEN": token,
        "BENCH_PATHS": handle.name,
        "BENCH_SALT": str(salt),
        "BENCH_DISTRICTS": ",".join(DISTRICTS),
        "BENCH_DISTRICT_STRIDE": str(DISTRICT_STRIDE),
    }
    threads = min(2, connections)
    try:
        result = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{int(seconds)}s",
                "--timeout",
                "10s",
                "-s",
                str(WRK_SCRIPT),
                base_url,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
    finally:
        os.unlink(handle.name)
    line = next(line for line in result.stdout.splitlines() if line.startswith("BENCH_JSON "))
    return Load(**json.loads(line.removeprefix("BENCH_JSON ")), generator="wrk")


# the Python fallback -------------------------------------------------------------------------


def district(worker: int, salt: int) -> str:
    """The district of a connection's registrations: its own for each worker and salt."""
    return DISTRICTS[(salt * DISTRICT_STRIDE + worker) % len(DISTRICTS)]


def registration(counter: int, worker: int, salt: int) -> dict:
    """The same registrations wrk.lua sends: valid NIKs, unique per worker and salt (a real East
    Java district each, then birth date and sequence from the counter)."""
    sequence = counter % 9999 + 1
    day = (counter // 9999) % 28 + 1
    month = (counter // (9999 * 28)) % 12 + 1
    nik = f"{district(worker, salt)}{day + 40:02d}{month:02d}90{sequence:04d}"
    return {
        "nik": nik,
        "full_name": "Siti Nur'aini binti Ahmad",
        "birth_date": f"1990-{month:02d}-{day:02d}",
        "sex": "F",
        "phone": "+6281234567890",
        "address": {
            "village": "Kademangan",
            "district": "Kademangan",
            "regency": "Blitar",
            "province": "Jawa Timur",
        },
        "destination_country": "HK",
        "occupation": "caregiver",
        "placement_agency": "PT Sinar Jaya",
    }


def _connection_loop(base_url, token, paths, mode, deadline, worker, salt, out, lock):
    parts = urlsplit(base_url)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies, not_ok, errors, counter = [], 0, 0, 0
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    while time.monotonic() < deadline:
        if mode == "post":
            counter += 1
            method, path = "POST", "/api/v1/workers"
            body = json.dumps(registration(counter, worker, salt))
        elif mode == "patch":
            counter += 1
            method, path = "PATCH", random.choice(paths)
            body = json.dumps({"phone": f"+62812{(worker * 1000003 + counter) % 10**7:07d}"})
        else:
            method, path, body = "GET", random.choice(paths), None
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            errors += 1
            connection.close()
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            continue
        latencies.append(time.perf_counter() - started)
        not_ok += not 200 <= response.status < 300
    with lock:
        out.append((latencies, not_ok, errors))


def _process(base_url, token, paths, mode, connections, deadline, first_worker, salt, queue):
    out, lock = [], threading.Lock()
    threads = [
        threading.Thread(
            target=_connection_loop,
            args=(base_url, token, paths, mode, deadline, first_worker + i, salt, out, lock),
        )
        for i in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(out)


def _python(base_url, token, paths, mode, connections, seconds, salt) -> Load:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    started = time.monotonic()
    deadline = started + seconds
    per_process = [
        connections // PYTHON_PROCESSES + (i < connections % PYTHON_PROCESSES)
        for i in range(PYTHON_PROCESSES)
    ]
    processes, first = [], 1
    for count in per_process:
        processes.append(
            context.Process(
                target=_process,
                args=(base_url, token, paths, mode, count, deadline, first, salt, queue),
            )
        )
        first += count
    for process in processes:
        process.start()
    results = [item for _ in processes for item in queue.get()]
    for process in processes:
        process.join()
    duration = time.monotonic() - started
    latencies = sorted(x for lat, _, _ in results for x in lat)

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000
            if latencies
            else 0.0
        )

    return Load(
        requests=len(latencies),
        duration_s=duration,
        p50_ms=pct(50),
        p90_ms=pct(90),
        p99_ms=pct(99),
        max_ms=pct(100),
        not_2xx=sum(n for _, n, _ in results),
        socket_errors=sum(e for _, _, e in results),
        generator="python",
    )
