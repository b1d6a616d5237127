"""The image → fs → analysis part of the import order, and its small units, read from the source.

``image`` imports nothing from ``fs`` or ``analysis``, ``fs`` nothing from ``analysis``; no
module of the three is over 400 lines, no function over 60; imports sit at module level except
a heavy optional dependency marked so on the line before it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import finalstage

ROOT = Path(finalstage.__file__).parent
PACKAGES = ("image", "fs", "analysis")
ABOVE = {"image": ("finalstage.fs", "finalstage.analysis"), "fs": ("finalstage.analysis",),
         "analysis": ()}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
LAZY_MARK = "heavy optional dependency: imported on first use"


def _modules() -> list[tuple[str, Path]]:
    return [(pkg, path) for pkg in PACKAGES for path in sorted((ROOT / pkg).rglob("*.py"))]


MODULES = _modules()
IDS = [str(path.relative_to(ROOT)) for _, path in MODULES]


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module:
        return [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return []


@pytest.mark.parametrize(("pkg", "path"), MODULES, ids=IDS)
def test_no_import_from_a_higher_layer(pkg: str, path: Path) -> None:
    tree = ast.parse(path.read_text())
    bad = [name for node in ast.walk(tree) for name in _imported(node)
           if name.startswith(ABOVE[pkg])]
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


@pytest.mark.parametrize(("pkg", "path"), MODULES, ids=IDS)
def test_small_units(pkg: str, path: Path) -> None:
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_MODULE_LINES
    long = [(node.name, node.end_lineno - node.lineno + 1) for node in ast.walk(ast.parse(text))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, f"{path.relative_to(ROOT)}: functions over {MAX_FUNCTION_LINES} lines"


@pytest.mark.parametrize(("pkg", "path"), MODULES, ids=IDS)
def test_imports_at_module_level(pkg: str, path: Path) -> None:
    text = path.read_text()
    lines = text.splitlines()
    tree = ast.parse(text)
    nested = []
    for top in tree.body:
        for node in ast.walk(top):
            if node is not top and isinstance(node, (ast.Import, ast.ImportFrom)):
                if not _marked(lines, node.lineno):
                    nested.append(node.lineno)
    assert not nested, f"{path.relative_to(ROOT)}: imports inside a block at lines {nested}"


def _marked(lines: list[str], lineno: int) -> bool:
    """The import on ``lineno`` (1-based) carries the lazy mark, or the comment block right
    above it does."""
    if LAZY_MARK in lines[lineno - 1]:
        return True
    i = lineno - 2
    while i >= 0 and lines[i].strip().startswith("#"):
        if LAZY_MARK in lines[i]:
            return True
        i -= 1
    return False
