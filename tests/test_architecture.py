"""The house rules of docs/architecture.md, checked on the source tree.

Each foreign library has one boundary; no module grows past ~600 lines; no
import circle (imports inside functions included); no test switch in the
shipped package.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "narrator"
MAX_LINES = 600

# foreign library -> the package paths (relative, "/"-separated prefixes) allowed to import it
BOUNDARIES: dict[str, tuple[str, ...]] = {
    "jinja2": ("interpolate",),
    "discord": ("platforms/discord/transport.py",),
    "httpx": ("providers/",),
    "sqlalchemy": ("state/", "migrations/"),
    "alembic": ("state/", "migrations/"),
    # discord.py rides on aiohttp: its transport translates aiohttp errors too
    "aiohttp": ("platforms/emulator/", "platforms/discord/transport.py"),
    # optional extra (narrator-workflows[otel]): spans behind one door, no-op without it
    "opentelemetry": ("tracing.py",),
    # the terminal UI, imported lazily so --help and validate never load it
    "rich": ("cli/console.py", "cli/progress.py"),
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if "versions" in parts:  # Alembic revision files: data, not modules
            continue
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(path: Path) -> list[tuple[str, bool]]:
    """Every imported module name, and whether the import only serves type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in ast.walk(node):
                typing_only.add(id(inner))
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    out: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((alias.name, id(node) in typing_only) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            out.append((base, id(node) in typing_only))
            out.extend((f"{base}.{alias.name}", id(node) in typing_only) for alias in node.names)
    return out


MODULES = _modules()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_longer_than_600_lines(name: str) -> None:
    """A module past ~600 lines is split by noun (docs/architecture.md)."""
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines"


def test_each_foreign_library_is_imported_behind_its_one_boundary() -> None:
    """jinja2 only in interpolate, discord.py only in the transport, httpx only in providers."""
    wrong: list[str] = []
    for path in MODULES.values():
        rel = path.relative_to(PACKAGE).as_posix()
        for imported, _typing in _imports(path):
            root = imported.split(".")[0]
            allowed = BOUNDARIES.get(root)
            if allowed is not None and not rel.startswith(allowed):
                wrong.append(f"{rel} imports {imported}")
    assert sorted(set(wrong)) == []


def test_no_import_circle_even_through_imports_inside_functions() -> None:
    """Floors point one way: no module reaches itself through narrator imports."""
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in MODULES.items():
        for imported, typing_only in _imports(path):
            if typing_only or not imported.startswith("narrator"):
                continue
            target = imported
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                # importing a package runs its __init__; a submodule importing its own
                # package's door is the usual layering, not a circle
                graph[name].add(target)
    cycles: set[tuple[str, ...]] = set()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :]
                turn = cycle.index(min(cycle))
                cycles.add(tuple(cycle[turn:] + cycle[:turn]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(MODULES):
        if module not in state:
            visit(module)
    assert sorted(cycles) == []


def test_the_content_package_is_pure_data() -> None:
    """narrator/content/ imports only errors and protocols (docs/architecture.md)."""
    allowed = ("narrator.content", "narrator.errors", "narrator.protocols")
    wrong = [
        f"{name} imports {imported}"
        for name, path in MODULES.items()
        if name == "narrator.content" or name.startswith("narrator.content.")
        for imported, _typing in _imports(path)
        if imported.startswith("narrator") and not imported.startswith(allowed)
    ]
    assert MODULES.get("narrator.content") is not None
    assert wrong == []


def test_the_shipped_package_has_no_test_switch() -> None:
    """Tests control time and platforms from outside (faketime, plugins), not via env switches."""
    offenders = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if "NARRATOR_TEST" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
