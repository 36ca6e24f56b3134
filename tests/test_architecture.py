"""The layout holds: which package may import which (the map in ARCHITECTURE.md), no import
cycles - not even hidden inside functions -, Streamlit only in ``workbench/ui``, and modules
small enough to read."""
from __future__ import annotations

import ast
from pathlib import Path

from tests.paths import REPO

PACKAGE = REPO / "workbench"
MAX_LINES = 400

# What each part of the library may import (besides itself). The order is the layering: a part
# uses only parts above it. ARCHITECTURE.md shows the same map.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "config": set(),
    "safety": {"errors"},
    "db": {"errors", "config", "safety"},
    "project": {"errors", "db"},
    "corpus": {"errors", "config", "safety", "db", "project"},
    "codebook": {"errors", "safety", "db"},
    "coding": {"errors", "safety", "db", "project", "corpus", "codebook"},
    "analysis": {"errors", "db", "project", "corpus", "codebook", "coding"},
    "autocode": {"errors", "config", "safety", "db", "project", "corpus", "codebook", "coding"},
    "transcription": {"errors", "config", "safety", "db", "project", "corpus"},
    "exchange": {"errors", "safety", "db", "project", "corpus", "codebook", "coding", "analysis"},
    "demo": {"errors", "config", "safety", "db", "project", "corpus", "codebook", "coding"},
    "cli": {"errors", "config", "safety", "db", "project", "corpus", "codebook", "coding", "analysis", "autocode",
            "transcription", "exchange", "demo"},
    "ui": {"errors", "config", "safety", "db", "project", "corpus", "codebook", "coding", "analysis", "autocode",
           "transcription", "exchange", "demo"},
    "__main__": {"cli"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        name = ".".join(("workbench", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
        out[name] = path
    return out


def _imports(path: Path) -> set[str]:
    """Every ``workbench`` module imported anywhere in the file, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("workbench")}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import; the library imports absolutely"
            if node.module and node.module.startswith("workbench"):
                found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def test_every_package_imports_only_what_the_map_allows():
    wrong = []
    for module, targets in _graph().items():
        part = _part(module)
        for target in targets:
            other = _part(target)
            if other and other != part and other not in ALLOWED.get(part, set()):
                wrong.append(f"{module} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_there_is_no_import_cycle():
    graph = _graph()
    # a package's __init__ is imported by every import of its modules; it may import its own modules
    edges = {m: {t for t in ts if not (m.startswith(t + ".") and t in graph)} for m, ts in graph.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if state.get(nxt) is None:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None
    for node in sorted(edges):
        if state.get(node) is None:
            cycle = visit(node)
            assert cycle is None, " -> ".join(cycle)


def test_streamlit_only_in_the_ui():
    outside = [name for name, path in _modules().items()
               if _part(name) != "ui" and "streamlit" in path.read_text(encoding="utf-8").split("import ", 1)[-1]
               and any(isinstance(n, (ast.Import, ast.ImportFrom)) and "streamlit" in ast.dump(n)
                       for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))))]
    assert not outside


def test_modules_stay_small_and_every_part_is_on_the_map():
    long = {name: n for name, path in _modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"
    parts = {_part(name) for name in _modules()} - {""}
    assert parts <= set(ALLOWED), parts - set(ALLOWED)
    architecture = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for part in parts:
        assert f"`{part}" in architecture, f"ARCHITECTURE.md does not place {part!r} on its map"
