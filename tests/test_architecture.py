"""The structure the style guide asks for, enforced rather than reviewed.

- the import-linter contracts in pyproject.toml (one data flow, no back-edges) hold;
- no two modules import each other, however indirectly;
- no module over 400 lines, no function over 60;
- imports inside functions only for an optional heavy dependency, marked as such;
- the public API is what ``finalstage.__all__`` says, and nothing of it loads until used.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "finalstage"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
HEAVY = "heavy optional dependency"


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)


def test_import_contracts_hold() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is a test dependency (pip install -e '.[test]')"
    done = subprocess.run([lint_imports, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Contracts: 1 kept, 0 broken" in done.stdout


def test_no_import_cycles() -> None:
    grimp = pytest.importorskip("grimp")  # comes with import-linter
    graph = grimp.build_graph("finalstage", include_external_packages=False)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    assert cycles == []


def test_modules_and_functions_are_small() -> None:
    too_long: list[str] = []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT)
        lines = text.count("\n")
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{name}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    assert too_long == []


def test_imports_inside_functions_are_only_heavy_optional_dependencies() -> None:
    found: list[str] = []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    # the marker sits on the import line or on the comment lines above it
                    start = inner.lineno - 1
                    context = lines[max(0, start - 3):start + 1]
                    if not any(HEAVY in line for line in context):
                        found.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert sorted(set(found)) == []


def test_public_api_is_curated_and_lazy() -> None:
    import finalstage

    assert finalstage.__all__ == sorted(finalstage.__all__)
    assert {"open_image", "lint", "inspect", "check", "ls", "Report", "Finding", "Severity",
            "Image", "Analysis", "render"} <= set(finalstage.__all__)
    for name in finalstage.__all__:
        assert getattr(finalstage, name) is not None
    code = ("import sys, finalstage; "
            "print([m for m in sys.modules if m.startswith('finalstage.') "
            "and m != 'finalstage._version'])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.strip() == "[]"


def test_inspect_and_its_reporters_leave_the_other_commands_models_unloaded() -> None:
    """Every run pays for what it imports: ``inspect`` with its json and text reporters must not
    load diff's, slim's or scan's models and renderers (they load when one of those is shown)."""
    others = ("finalstage.facts.diff", "finalstage.slimming.model", "finalstage.scan.model",
              "finalstage.report.diff_json", "finalstage.report.slim_json",
              "finalstage.report.scan_json", "finalstage.report.slim_text")
    code = ("import sys, finalstage.cli.inspect, finalstage.report.json, finalstage.report.text; "
            f"print([m for m in {others!r} if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.strip() == "[]"
