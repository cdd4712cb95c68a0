"""What the machine's own RabbitMQ and PostgreSQL look like from outside: which of their server
processes run and since when, and what their configuration files hold. The suite takes this
before and after a run and fails the run if it changed: the tests start servers of their own
(``tests/servers.py``) and must never restart or reconfigure the machine's."""

from __future__ import annotations

import glob
import hashlib
import os
from pathlib import Path

# the suite's own servers live under temporary directories with this prefix
OWN = "pmi-servers-"
CONFIGURATION = (
    "/etc/rabbitmq/*",
    "/etc/postgresql/*/*/*.conf",
    "/var/lib/postgresql/*/*/postgresql.auto.conf",
)


def fingerprint(own: str = OWN) -> dict[str, object]:
    """The machine's broker and database servers (process id and start time) and a digest of
    each of their configuration files; processes whose command line names ``own`` are left out."""
    return {"servers": sorted(_servers(own)), "configuration": _configuration()}


def differences(before: dict, after: dict) -> list[str]:
    lines = []
    for key in before.keys() | after.keys():
        if before.get(key) != after.get(key):
            lines.append(f"{key}: before {before.get(key)}, after {after.get(key)}")
    return sorted(lines)


def _servers(own: str):
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            started = (proc / "stat").read_text().rsplit(")", 1)[1].split()[19]
        except OSError:
            continue  # it ended meanwhile
        if own in command:
            continue
        if "-s rabbit boot" in command:
            yield "rabbitmq", int(proc.name), started
        elif "/postgres" in command.split(" ", 1)[0] and " -D " in f" {command}":
            yield "postgresql", int(proc.name), started


def _configuration() -> dict[str, str]:
    digests = {}
    for pattern in CONFIGURATION:
        for path in sorted(glob.glob(pattern)):
            if os.path.isfile(path):
                try:
                    digests[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
                except OSError:
                    digests[path] = "unreadable"
    return digests
