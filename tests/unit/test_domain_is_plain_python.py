"""A service's domain is plain Python: importing it, in a fresh interpreter, loads neither nameko
nor SQLAlchemy nor marshmallow, so its rules run and are tested without any of them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = sorted(path.parent.name for path in (ROOT / "services").glob("*/domain.py"))
FRAMEWORKS = ("nameko", "sqlalchemy", "marshmallow", "kombu", "eventlet")
PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[2:]))))
"""


def frameworks_loaded_by(module: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, module, *FRAMEWORKS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize("service", DOMAINS)
def test_a_services_domain_imports_no_framework(service):
    assert frameworks_loaded_by(f"services.{service}.domain") == []


@pytest.mark.parametrize(
    "module", ("pmi_common.errors", "pmi_common.names", "pmi_common.lifecycle")
)
def test_what_the_domains_import_from_the_runtime_is_plain_python(module):
    assert frameworks_loaded_by(module) == []


def test_the_probe_sees_a_framework_where_one_is_loaded():
    assert frameworks_loaded_by("pmi_common.contract") == ["marshmallow"]
