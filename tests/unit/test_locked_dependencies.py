"""The dependency set is the lock's: one Python named in .python-version (the Dockerfile's base
image follows it), every locked requirement pinned with hashes, the image's set a subset of the
suite's at the same versions, nameko frozen and setuptools below 82, and every package the code
imports declared in pyproject.toml (the platform's by the platform, the suite's by its extra)."""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PLATFORM_CODE = ("pmi_common", "pmi_tools", "services", "gateway", "agencies")
OWN = {*PLATFORM_CODE, "tests", "bench", "examples"}


def locked(name: str) -> dict[str, str]:
    """name -> version of each requirement in a lock file, each checked to carry hashes."""
    pins = {}
    for block in re.split(r"\n(?=\S)", (ROOT / name).read_text()):
        if block.startswith("#") or not block.strip():
            continue
        requirement = block.split(" ", 1)[0]
        assert "--hash=sha256:" in block, f"{requirement} in {name} has no hash"
        package, version = requirement.split("==")
        pins[normalised(package)] = version
    return pins


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(*extras: str) -> set[str]:
    requirements = list(PYPROJECT["project"]["dependencies"])
    for extra in extras:
        requirements += PYPROJECT["project"]["optional-dependencies"][extra]
    return {normalised(re.split(r"[<>=!~; \[]", r, maxsplit=1)[0]) for r in requirements}


def imported(folders: tuple[str, ...]) -> set[str]:
    names = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names and name not in OWN}


def test_python_is_named_once_and_the_image_uses_it():
    version = (ROOT / ".python-version").read_text().strip()
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert re.fullmatch(r"3\.\d+", version)
    assert f"ARG PYTHON_VERSION={version}\n" in dockerfile
    assert "FROM python:${PYTHON_VERSION}-slim" in dockerfile
    assert "python$(PYTHON_VERSION)" in (ROOT / "Makefile").read_text()


@pytest.mark.parametrize("name", ["requirements.lock", "requirements-dev.lock"])
def test_the_locks_freeze_nameko_and_a_setuptools_with_pkg_resources(name):
    pins = locked(name)

    assert pins["nameko"] == "2.14.1"
    assert int(pins["setuptools"].split(".")[0]) < 82


def test_the_image_runs_the_versions_the_suite_proves():
    image, suite = locked("requirements.lock"), locked("requirements-dev.lock")

    assert {name: suite.get(name) for name in image} == image


def test_every_package_the_platform_imports_is_a_dependency_of_the_platform():
    providers = packages_distributions()
    needed = {normalised(providers[name][0]) for name in imported(PLATFORM_CODE)}

    assert needed - declared() == set()


def test_every_package_the_suite_imports_is_declared_for_the_suite():
    providers = packages_distributions()
    needed = {normalised(providers[name][0]) for name in imported(("tests",))}

    assert needed - declared("test") == set()
