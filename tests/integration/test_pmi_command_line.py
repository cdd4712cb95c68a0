"""`pmi` prints its answer and nothing else: no eventlet or dnspython warnings before it, a
missing file or a refused row ends `pmi import-workers` with a reason and a failing exit status,
and the progress bar is drawn only on a terminal. The command runs as an operator runs it: the
virtualenv's `pmi`, in a process of its own."""

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import worker_payload
from tests.integration.test_registration_import import write

PMI = Path(sys.executable).with_name("pmi")


def pmi(*args: str, env: dict | None = None, cwd: Path | None = None):
    return subprocess.run(
        [str(PMI), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PMI_ENV": "development", **(env or {})},
        cwd=cwd,
    )


def test_help_prints_the_commands_and_not_a_warning():
    done = pmi("--help")

    assert done.returncode == 0
    assert "import-workers" in done.stdout
    assert done.stderr == ""


def test_a_command_that_loads_nameko_prints_only_its_answer():
    done = pmi("topology", "--definitions")

    assert done.returncode == 0, done.stderr
    assert done.stdout.lstrip().startswith("{")
    assert done.stderr == ""


def test_import_of_a_missing_file_fails_saying_so(tmp_path):
    done = pmi("import-workers", str(tmp_path / "export.csv"), cwd=tmp_path)

    assert done.returncode != 0
    assert done.stderr.strip() == f"pmi import-workers: no such file: {tmp_path / 'export.csv'}"
    assert "Traceback" not in done.stderr


def test_import_with_refused_rows_fails_and_names_the_report(database_urls, tmp_path):
    path = tmp_path / "export.csv"
    write(path, [worker_payload(), worker_payload(nik="1234"), worker_payload()])

    done = pmi(
        "import-workers",
        str(path),
        env={"REGISTRATION_DATABASE_URL": database_urls["registration"]},
        cwd=tmp_path,
    )

    assert done.returncode == 1
    assert done.stdout.startswith("2 registered, 0 already registered, 1 rejected")
    assert "1 of 3 rows refused" in done.stderr and "export.rejected.csv" in done.stderr
    assert "line,field,reason\n3,nik," in (tmp_path / "export.rejected.csv").read_text()
    assert "[" not in done.stderr  # no progress bar: stderr is not a terminal


def test_import_of_good_rows_succeeds_quietly(database_urls, tmp_path):
    path = tmp_path / "export.csv"
    write(path, [worker_payload(), worker_payload()])

    done = pmi(
        "import-workers",
        str(path),
        env={"REGISTRATION_DATABASE_URL": database_urls["registration"]},
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("2 registered, 0 already registered, 0 rejected")
    assert done.stderr == ""
