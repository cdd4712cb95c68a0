"""The gateway imports no service's code: it reaches the services over RPC (and reads two of
their databases through read-only roles), and shares with them only ``pmi_common`` (the event
contract, the published contract). Every module under ``gateway/`` is read, its migrations
included, for imports and for modules named to ``importlib``."""

import ast
import importlib.util
from pathlib import Path

import pytest

import gateway
from services.agencies import move

GATEWAY = Path(gateway.__file__).parent
MODULES = sorted(GATEWAY.rglob("*.py"))
LOADERS = {"import_module", "find_spec", "__import__"}


def imported(path: Path) -> list[str]:
    """Every module ``path`` imports or names to ``importlib`` (relative imports resolved as
    inside the gateway)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append("gateway" if node.level else node.module or "")
        elif isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else None
            if isinstance(node.func, ast.Name):
                called = node.func.id
            if called in LOADERS and node.args and isinstance(node.args[0], ast.Constant):
                names.append(str(node.args[0].value))
    return names


def from_services(names: list[str]) -> list[str]:
    return [name for name in names if name == "services" or name.startswith("services.")]


def test_the_gateway_has_modules_to_read():
    assert GATEWAY / "http.py" in MODULES
    assert any("migrations" in path.parts for path in MODULES)


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(GATEWAY)))
def test_no_gateway_module_imports_a_service(path):
    assert from_services(imported(path)) == []


def test_the_check_sees_every_way_of_importing_a_service(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "import services.agencies.domain\n"
        "from services.agencies.reads import SHAPED\n"
        "from services import agencies\n"
        "import importlib\n"
        "importlib.import_module('services.registration.domain')\n"
        "importlib.util.find_spec('services.agencies.asyncapi')\n"
        "from pmi_common import contract\n"
        "from .agreements import Agreements\n"
    )

    assert from_services(imported(module)) == [
        "services.agencies.domain",
        "services.agencies.reads",
        "services",
        "services.registration.domain",
        "services.agencies.asyncapi",
    ]


def test_the_gateway_s_migration_drops_the_tables_the_move_copies():
    """Migration 0010 keeps its own list (a migration does not import a service's code): the
    same tables and the same mark as ``pmi agency move-tables``."""
    path = GATEWAY / "migrations" / "versions" / "0010_agency_tables_moved_out.py"
    spec = importlib.util.spec_from_file_location("gateway_migration_0010", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    assert migration.TABLES == move.TABLES
    assert migration.MOVED == move.MOVED
