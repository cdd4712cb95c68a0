"""The layers import downwards only: the runtime (``pmi_common``) knows nothing of the services,
the gateway or the tools; nothing the platform runs imports the tools; and the
runtime's modules import one another without a circle. Read from the source with ``ast``, every
import counted, those inside functions too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = "pmi_common"
ABOVE_THE_RUNTIME = ("services", "gateway", "pmi_tools")
PLATFORM = ("pmi_common", "services", "gateway")
# the gateway calls the agencies service in-process for now (a later phase: over RPC)
CALLED_IN_PROCESS = "services.agencies"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules_of(package: str) -> dict[str, Path]:
    return {
        module_name(path): path
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts
    }


def imports_of(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports, relative imports resolved; ``from package import module``
    names the module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def arrows(package: str) -> dict[str, set[str]]:
    modules = modules_of(package)
    return {name: imports_of(name, path) for name, path in modules.items()}


def within(name: str, packages: tuple[str, ...]) -> bool:
    return name.split(".")[0] in packages


def test_the_runtime_imports_nothing_above_it():
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in arrows(RUNTIME).items()
        for target in targets
        if within(target, ABOVE_THE_RUNTIME)
    )
    assert upward == []


@pytest.mark.parametrize("package", ("services", "gateway"))
def test_nothing_the_platform_runs_imports_the_tools(package):
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in arrows(package).items()
        for target in targets
        if within(target, ("pmi_tools",))
    )
    assert upward == []


def test_a_service_imports_no_other_service_and_the_gateway_no_service():
    crossing = sorted(
        f"{module} -> {target}"
        for module, targets in arrows("services").items()
        for target in targets
        if within(target, ("services",)) and target.split(".")[:2] != module.split(".")[:2]
    )
    crossing += sorted(
        f"{module} -> {target}"
        for module, targets in arrows("gateway").items()
        for target in targets
        if within(target, ("services",)) and target.split(".")[:2] != CALLED_IN_PROCESS.split(".")
    )
    assert crossing == []


def circle_in(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (its modules in order, the first again at the end), or
    None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                return path[path.index(target) :] + [target]
            if target not in state:
                circle = visit(target)
                if circle:
                    return circle
        state[module] = "done"
        path.pop()
        return None

    for module in sorted(graph):
        if module not in state:
            circle = visit(module)
            if circle:
                return circle
    return None


def test_the_runtime_has_no_import_circle():
    graph = arrows(RUNTIME)
    inside = {
        module: {t for t in targets if t in graph and t != module}
        for module, targets in graph.items()
    }
    assert circle_in(inside) is None


def test_a_circle_is_found_where_there_is_one():
    assert circle_in({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert circle_in({"a": {"b"}, "b": set()}) is None
