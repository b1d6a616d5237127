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


def _docs_snippet() -> str:
    """The ``.pre-commit-config.yaml`` docs/ci.md tells people to write."""
    text = (REPO / "docs" / "ci.md").read_text()
    section = text[text.index("## pre-commit"):]
    match = re.search(r"```yaml\n(# \.pre-commit-config\.yaml\n.*?)```", section, re.DOTALL)
    assert match, "docs/ci.md has no .pre-commit-config.yaml snippet"
    return match.group(1)


def test_docs_snippet_names_no_placeholder_repository() -> None:
    (repo,) = yaml.safe_load(_docs_snippet())["repos"]
    assert repo["repo"] == "local"  # works today, with nothing hosted anywhere
    (hook,) = repo["hooks"]
    assert hook["files"] == _hook()["files"] and hook["exclude"] == _hook()["exclude"]
    assert hook["entry"] == _hook()["entry"]


@pytest.mark.skipif(shutil.which("git") is None or not (Path(sys.executable).parent /
                                                        "pre-commit").exists(),
                    reason="needs git and pre-commit")
def test_docs_snippet_runs_under_pre_commit(tmp_path: Path) -> None:
    import os

    exe = str(Path(sys.executable).parent / "pre-commit")
    (tmp_path / ".pre-commit-config.yaml").write_text(_docs_snippet())
    (tmp_path / "Dockerfile").write_text("FROM alpine\nCOPY . /app\n")  # FS103: an error
    (tmp_path / "README.md").write_text("not linted\n")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / ".cache"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    for cmd in (["git", "init", "-q"], ["git", "add", "."]):
        subprocess.run(cmd, cwd=tmp_path, env=env, check=True, capture_output=True, timeout=60)
    valid = subprocess.run([exe, "validate-config", ".pre-commit-config.yaml"], cwd=tmp_path,
                           env=env, capture_output=True, text=True, timeout=120, check=False)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    done = subprocess.run([exe, "run", "--all-files"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1, done.stdout + done.stderr  # the hook found FS103
    assert "FS103" in done.stdout and "README" not in done.stdout
