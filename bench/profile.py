"""Profiles of the platform's processes under load, with py-spy (``pip install py-spy``): while a
phase runs, ``py-spy record`` samples each process; the collapsed stacks are kept in the run's log
folder and summed up here into the functions where the time went."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path


def available() -> bool:
    return _py_spy() is not None


def _py_spy() -> str | None:
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


class Recording:
    """``py-spy record`` of ``pids`` for ``seconds``; ``summaries()`` once it is done."""

    def __init__(self, pids: dict[str, int], seconds: float, out_dir: Path, label: str):
        self.files = {name: out_dir / f"profile-{label}-{name}.txt" for name in pids}
        self.processes = [
            subprocess.Popen(
                [
                    _py_spy(),
                    "record",
                    "--pid",
                    str(pid),
                    "--duration",
                    str(int(seconds)),
                    "--rate",
                    "100",
                    "--format",
                    "raw",
                    "--nonblocking",
                    "--output",
                    str(self.files[name]),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for name, pid in pids.items()
        ]

    def summaries(self, top: int = 8) -> dict[str, dict]:
        for process in self.processes:
            process.wait(timeout=120)
        return {name: summarize(path, top) for name, path in self.files.items() if path.exists()}


PLATFORM = ("pmi_common", "services", "gateway", "bench")


def summarize(path: Path, top: int = 8) -> dict:
    """Where the samples were: the functions most often on the CPU, and the share of each
    library (the platform's own code, SQLAlchemy, psycopg2, nameko, eventlet, ...)."""
    own, packages, total = Counter(), Counter(), 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        leaf = stack.split(";")[-1]
        samples = int(count)
        total += samples
        own[_short(leaf)] += samples
        packages[_package(leaf)] += samples
    if not total:
        return {"samples": 0}

    def share(counter: Counter, n: int) -> list[tuple[str, float]]:
        return [(key, round(100 * value / total, 1)) for key, value in counter.most_common(n)]

    return {"samples": total, "self": share(own, top), "packages": share(packages, 10)}


def _where(frame: str) -> str:
    return frame.partition(" (")[2].rstrip(")").split(":")[0]


def _package(frame: str) -> str:
    """py-spy names a file by its path under site-packages or the working directory."""
    parts = Path(_where(frame)).parts
    if "site-packages" in parts:
        parts = parts[parts.index("site-packages") + 1 :]
    if not parts:
        return "?"
    if parts[0] in PLATFORM:
        return f"platform ({parts[0]})"
    return (
        parts[0].removesuffix(".py")
        if len(parts) > 1 or parts[0].startswith("<")
        else f"stdlib {parts[0]}"
    )


def _short(frame: str) -> str:
    """``function (path/to/module.py:12)`` -> ``function (to/module.py)``, enough to read."""
    name = frame.partition(" (")[0]
    parts = Path(_where(frame)).parts
    return f"{name} ({'/'.join(parts[-2:])})"
