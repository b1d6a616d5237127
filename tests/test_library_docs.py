"""The README's "Library use" section and the API docstrings are executed, from the repository
root (they read the example images shipped in examples/): in this venv, and — once per run — in
a fresh venv that installed the wheel, so they prove what a new user gets."""

from __future__ import annotations

import doctest
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
MODULES = ("finalstage", "finalstage.api.lint", "finalstage.api.check", "finalstage.api.inspect",
           "finalstage.api.diff")
RUNNER = """
import doctest, importlib, sys
flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
failed, tried = doctest.testfile("README.md", module_relative=False, optionflags=flags)
for name in sys.argv[1:]:
    result = doctest.testmod(importlib.import_module(name), optionflags=flags)
    failed, tried = failed + result.failed, tried + result.attempted
print("RESULT", failed, tried)
"""


@pytest.fixture()
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_readme_library_use(at_root: None) -> None:
    result = doctest.testfile(str(ROOT / "README.md"), module_relative=False, optionflags=FLAGS)
    assert result.attempted >= 10 and result.failed == 0


@pytest.mark.parametrize("name", MODULES)
def test_api_docstrings(name: str, at_root: None) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=FLAGS)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_library_use_in_a_fresh_venv(tmp_path: Path) -> None:
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(ROOT)],
                   check=True, timeout=600, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("finalstage-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([str(python), "-c", RUNNER, *MODULES], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT "), done.stdout[-3000:]
    failed, tried = map(int, last.split()[1:])
    assert failed == 0 and tried >= 14, done.stdout
    where = subprocess.run([str(python), "-c", "import finalstage; print(finalstage.__file__)"],
                           cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert str(venv) in where.stdout  # the installed wheel, not the checkout's sources
