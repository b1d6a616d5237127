"""``fix --verify`` with real parts: buildah builds, the strict check, podman probes.

The Go example is rewritten on the distroless stand-in (made by the test harness, as every
image test's bases are) and on scratch; a rewrite on a base that does not exist must fail to
build, and then nothing is written.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from finalstage.api.fix import fix

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.engine, pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture
def go_copy(tmp_path: Path, built_image: Callable[[str, str], object]) -> Path:
    built_image("go", "fat")      # the golang stand-in and the fat example, as the harness makes
    built_image("go", "minimal")  # the distroless stand-in
    shutil.copytree(ROOT / "examples" / "go", tmp_path / "go")
    return tmp_path / "go" / "Dockerfile.fat"


@pytest.mark.parametrize("base", [None, "scratch"])
def test_go_rewrite_builds_passes_strict_check_and_answers_the_same(
        go_copy: Path, base: str | None) -> None:
    out = go_copy.parent / "Dockerfile.new"
    report = fix(go_copy, base=base, verify=True, probe_cmd="./server -selftest", output=out)
    checked = report.detail.verification
    assert checked.why_not is None, checked.why_not
    assert report.detail.written and out.read_text() == report.detail.rewrite.text
    assert checked.before_size >= 5 * checked.after_size
    before, after = checked.probes
    assert before.exit == after.exit == 0
    assert "GET /healthz -> 200" in before.output and before.output == after.output
    assert not checked.gate.is_failed


def test_failed_build_writes_nothing(go_copy: Path) -> None:
    out = go_copy.parent / "Dockerfile.new"
    report = fix(go_copy, base="localhost/finalstage-test/no-such-base:1", verify=True,
                 output=out)
    assert report.detail.is_failed and not report.detail.written and not out.exists()
    assert report.detail.verification.why_not.startswith("the rewritten Dockerfile does not build")
