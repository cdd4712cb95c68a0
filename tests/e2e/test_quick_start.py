"""The README's quick start, run as written: ``make run`` (the stack as it starts it, on SQLite
files, no database to set up), then the README's own shell block, in a fresh shell, against it;
then the whole journey on the same stack."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import ROOT, running_stack
from tests.e2e.journey import Journey
from tests.helpers import wait_for

pytestmark = pytest.mark.e2e

README = ROOT / "README.md"
# What a fresh shell has, and no more: no PMI_ENV, no secret, no URL of the suite's
FRESH_SHELL = {
    key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ
}


def quick_start_blocks() -> list[str]:
    """The shell blocks of the README's "Quick start", before its first subsection."""
    section = README.read_text().split("\n## Quick start\n", 1)[1].split("\n#", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def make_run_command() -> str:
    """What ``make run`` runs once the virtualenv is there: its last command. Under ``make test``
    this is a make within make, which would print the directories it enters and leaves."""
    printed = subprocess.run(
        ["make", "--no-print-directory", "-n", "run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return printed.strip().splitlines()[-1]


def development_code(logs: str) -> str | None:
    """The sign-in code development's local outbox wrote to the log, marked as development's."""
    for line in logs.splitlines():
        if "development_sign_in_code" in line and "DEVELOPMENT ONLY" in line:
            return re.search(r"\b([0-9]{6})\b", json.loads(line)["text"]).group(1)
    return None


def as_written(block: str, base_url: str) -> str:
    """The block, its two machine-specific words replaced: this run's gateway address (the
    stack listens on a free port, not 8000) and this run's virtualenv (not necessarily .venv)."""
    return block.replace("http://127.0.0.1:8000", base_url).replace(
        ".venv/bin/", f"{Path(sys.executable).parent}/"
    )


def test_the_readme_quick_start_registers_a_worker_and_serves_the_whole_journey(
    tmp_path, private_servers
):
    commands, first_registration = quick_start_blocks()
    make_run = commands.strip().splitlines()[0]
    assert make_run.split("#", 1)[0].strip() == "make run"
    assert re.fullmatch(r"PMI_ENV=development \S+/python -m pmi_tools\.stack", make_run_command())

    with running_stack(tmp_path, postgres=False, jwt_secret=None) as stack:
        shell = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", as_written(first_registration, stack.base_url)],
            cwd=ROOT,
            env=FRESH_SHELL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert shell.returncode == 0, shell.stderr[-3000:]
        worker = json.loads(shell.stdout)
        assert worker["status"] == "registered", worker
        assert worker["full_name"] == "Siti Nuraini"

        journey = Journey(stack)
        journey.register()
        journey.submit_and_verify_documents()
        journey.wait_status("documents_verified")
        journey.attend_orientation()
        journey.wait_status("orientation_completed")
        journey.add_bpjs()
        journey.wait_status("cleared_for_departure")
        journey.depart()
        journey.come_home()
        journey.reintegrate()
        journey.wait_status("reintegrated")

        # a newcomer signs in to the worker's app: no SMS provider, the code in the stack's log
        asked = requests.post(
            stack.url("/app/sign-in"),
            json={"nik": journey.payload["nik"], "phone": journey.payload["phone"]},
            timeout=30,
        )
        assert asked.status_code == 202, asked.text
        code = wait_for(lambda: development_code(stack.logs()), message="the code in the log")
        signed = requests.post(
            stack.url("/app/sign-in/verify"),
            json={"challenge": asked.json()["challenge"], "code": code, "device_name": "laptop"},
            timeout=30,
        )
        assert signed.status_code == 200, signed.text
        assert signed.json()["worker_id"] == journey.worker_id
    assert sorted(p.name for p in (tmp_path / "var").glob("*.db")) == [
        "agencies.db",
        "documents.db",
        "gateway.db",
        "letters.db",
        "notifications.db",
        "orientation.db",
        "protection.db",
        "registration.db",
        "reintegration.db",
        "reporting.db",
    ]
    assert (tmp_path / "var" / "hold").is_dir()  # docs/operations.md: `touch var/hold/documents`
