"""scripts/demo.sh: lints every example side by side and never stops on a lint verdict."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "scripts" / "demo.sh"
FINALSTAGE = Path(sys.executable).parent / "finalstage"


def run_demo(fs: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(DEMO), str(fs)], capture_output=True, text=True,
                          timeout=600, check=False, env={**os.environ, **(env or {})})


def summary(out: str) -> dict[str, tuple[str, str]]:
    rows = {}
    for ex in ("go", "node", "python", "busybox"):
        m = re.search(rf"^{ex} +(\S+(?: \S+)?) +(\S+(?: \S+)?)\s*$", out, re.MULTILINE)
        assert m, f"no summary row for {ex}:\n{out[-3000:]}"
        rows[ex] = (m.group(1), m.group(2))
    return rows


@pytest.mark.skipif(not FINALSTAGE.exists(), reason="finalstage is not installed in this venv")
@pytest.mark.timeout(900)
def test_demo_with_the_real_cli_fat_fails_minimal_passes() -> None:
    proc = run_demo(FINALSTAGE)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    for ex, (fat, minimal) in summary(proc.stdout).items():
        assert (fat, minimal) == ("fail (findings)", "pass"), ex
    for img in ("go-minimal.oci", "busybox-fat.tar"):
        if (REPO / "examples" / "images" / img).exists():
            assert f"==== inspect examples/images/{img} ====" in proc.stdout


def _stub(tmp_path: Path, body: str) -> Path:
    stub = tmp_path / "bin" / "finalstage"
    stub.parent.mkdir()
    stub.write_text("#!/bin/sh\n" + body)
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    return stub


def test_demo_goes_on_after_lint_exit_1(tmp_path: Path) -> None:
    # a stand-in CLI whose verdict we control: exit 1 on every fat Dockerfile
    stub = _stub(tmp_path, 'case "$*" in *Dockerfile.fat*) echo findings; exit 1;; esac\n'
                           'echo ok "$@"\n')
    proc = run_demo(stub)
    assert proc.returncode == 0, proc.stderr
    assert all(v == ("fail (findings)", "pass") for v in summary(proc.stdout).values())
    # four fat Dockerfiles linted, then `check` of the fat image with its Dockerfile.fat
    assert proc.stdout.count("(exit 1)") == 5
    assert "busybox-fat.tar fail (findings)" in proc.stdout
    assert "busybox-minimal.tar pass" in proc.stdout


def test_demo_reports_errors_but_runs_everything(tmp_path: Path) -> None:
    stub = _stub(tmp_path, 'echo "finalstage: boom" >&2; exit 2\n')
    proc = run_demo(stub)
    assert proc.returncode == 1
    assert all(v == ("error (2)", "error (2)") for v in summary(proc.stdout).values())
    assert "command(s) failed with an error" in proc.stderr


def test_demo_times_out_a_hanging_command(tmp_path: Path) -> None:
    stub = _stub(tmp_path, 'case "$*" in *go/Dockerfile.fat*) sleep 30;; esac\nexit 0\n')
    proc = run_demo(stub, env={"DEMO_TIMEOUT": "1"})
    assert summary(proc.stdout)["go"] == ("timeout", "pass")
    assert proc.returncode == 1


def test_demo_without_the_executable_is_one_line(tmp_path: Path) -> None:
    proc = run_demo(tmp_path / "nope" / "finalstage")
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and "not found" in proc.stderr
