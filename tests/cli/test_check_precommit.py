"""The shipped ``.pre-commit-hooks.yaml``: valid for pre-commit, matches Dockerfiles only, and
its entry is the installed ``finalstage lint``."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).parents[2]
HOOKS = REPO / ".pre-commit-hooks.yaml"


def _hook() -> dict:
    (hook,) = yaml.safe_load(HOOKS.read_text())
    return hook


@pytest.mark.parametrize(("path", "linted"), [
    ("Dockerfile", True), ("services/api/Dockerfile", True), ("Dockerfile.fat", True),
    ("Dockerfile-prod", True), ("Containerfile", True), ("build/app.dockerfile", True),
    ("README.md", False), ("docs/Dockerfile.md", False), ("Dockerfiles/setup.py", False),
    ("notaDockerfile", False),
])
def test_files_pattern(path: str, linted: bool) -> None:
    hook = _hook()
    matched = re.search(hook["files"], path) is not None
    excluded = re.search(hook["exclude"], path) is not None
    assert (matched and not excluded) is linted


def test_entry_is_the_lint_command(tmp_path: Path) -> None:
    hook = _hook()
    assert hook["id"] == "finalstage-lint"
    assert hook["entry"] == "finalstage lint" and hook["language"] == "python"
    # pre-commit appends the staged file names to the entry
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM scratch\nCOPY app /app\nUSER 65532\nENTRYPOINT [\"/app\"]\n")
    done = subprocess.run([sys.executable, "-m", "finalstage", *hook["entry"].split()[1:],
                           str(dockerfile)], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("pre-commit") is None
                    and not (Path(sys.executable).parent / "pre-commit").exists(),
                    reason="pre-commit is not installed")
def test_manifest_validates_with_pre_commit() -> None:
    exe = shutil.which("pre-commit") or str(Path(sys.executable).parent / "pre-commit")
    done = subprocess.run([exe, "validate-manifest", str(HOOKS)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
