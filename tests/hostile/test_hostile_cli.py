"""Every crafted hostile input through the CLI, as a user (or CI) runs it.

For each sample: ``finalstage inspect`` (and ``ls -lR`` for legal samples) in a subprocess with a
wall-clock limit and its own empty working directory and HOME. An error must be exit 2 with
exactly one stderr line starting ``finalstage:`` and no traceback; a legal sample exit 0. Either
way no raw ESC reaches the terminal, the process stays under a memory ceiling, and nothing is
written outside its temporary directory. Outcomes feed the per-class table printed at the end.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.hostile import _support
from tests.hostile.test_hostile_library import ESCAPE_TARGETS

pytestmark = pytest.mark.timeout(180)


def classify(run: _support.Run) -> str:
    """hang | crash | error | ok, judged only from what the user sees."""
    if run.timed_out:
        return "hang"
    text = run.stderr.decode("utf-8", "replace")
    if b"Traceback" in run.stderr or "internal error" in text:
        return "crash"
    if run.returncode == 2 and len(text.splitlines()) == 1 and text.startswith("finalstage: "):
        return "error"
    if run.returncode in (0, 1) and not run.stderr:
        return "ok"
    return "crash"


def written_outside(cwd: Path) -> list[str]:
    """Anything the run left behind: files in its working directory or at escape targets."""
    # TMPDIR is cwd/.tmp: temporary files may live there while the command runs, but must be
    # gone afterwards (only the test's own peak-memory note remains). XDG_CACHE_HOME is
    # cwd/.cache: finalstage's own layer-index cache may write there, and only there.
    def allowed(rel: Path) -> bool:
        return rel == Path(".tmp", "hwm") or rel.parts[:2] == (".cache", "finalstage")

    left = [
        str(p.relative_to(cwd))
        for p in cwd.rglob("*")
        if not p.is_dir() and not allowed(p.relative_to(cwd))
    ]
    return left + [t for t in ESCAPE_TARGETS if Path(t).exists()]


def check(run: _support.Run, sample: dict[str, Any], cwd: Path, *, category: str) -> str:
    got = classify(run)
    escaped = b"\x1b" in run.stdout or b"\x1b" in run.stderr or bool(written_outside(cwd))
    _support.record(category, outcome=got, rss_kib=run.max_rss_kib, escaped=escaped)
    assert not run.timed_out, f"{sample['note']}: no answer after {run.seconds:.0f} s"
    want = "ok" if sample["expect"] == "ok" else "error"
    assert got == want, (
        f"{sample['note']}: expected {want}, got {got} (exit {run.returncode}): "
        f"{run.stderr.decode('utf-8', 'replace')[-500:]}"
    )
    assert not escaped, f"raw ESC or files outside tmp: {written_outside(cwd)}"
    assert run.max_rss_kib < _support.MAX_RSS_KIB, f"peak RSS {run.max_rss_kib} KiB"
    return got


def test_inspect(image_sample: dict[str, Any], hostile_root: Path, tmp_path: Path) -> None:
    ref = _support.reference(hostile_root, image_sample)
    timeout = 5.0 if image_sample["name"] in _support.HANGS else _support.CLI_TIMEOUT
    run = _support.run_cli(["inspect", ref], cwd=tmp_path, timeout=timeout)
    got = check(run, image_sample, tmp_path, category=image_sample["category"])
    if got == "ok":
        listing = _support.run_cli(["ls", "-lR", ref], cwd=tmp_path)
        assert listing.returncode == 0, listing.stderr
        assert b"\x1b" not in listing.stdout and b"\r" not in listing.stdout


def test_lint(dockerfile_sample: dict[str, Any], hostile_root: Path, tmp_path: Path) -> None:
    run = _support.run_cli(["lint", str(hostile_root / dockerfile_sample["path"])], cwd=tmp_path)
    check(run, dockerfile_sample, tmp_path, category="dockerfile")


def test_check_policy(policy_sample: dict[str, Any], hostile_root: Path, tmp_path: Path) -> None:
    image = hostile_root / "docker-archive" / "da_baseline.tar"
    run = _support.run_cli(
        ["check", f"docker-archive:{image}", "--policy", str(hostile_root / policy_sample["path"])],
        cwd=tmp_path,
    )
    check(run, policy_sample, tmp_path, category="policy")


def test_config_file(config_file_sample: dict[str, Any], hostile_root: Path,
                     tmp_path: Path) -> None:
    path = str(hostile_root / config_file_sample["path"])
    image = f"docker-archive:{hostile_root / 'docker-archive' / 'da_baseline.tar'}"
    fmt = config_file_sample["format"]
    if fmt == "authfile":  # read before any connection is made; port 9 is never listened on
        run = _support.run_cli(["inspect", "docker://127.0.0.1:9/hostile/app:1"], cwd=tmp_path,
                               extra_env={"REGISTRY_AUTH_FILE": path})
    else:
        run = _support.run_cli(["check", image, f"--{fmt}", path], cwd=tmp_path)
    check(run, config_file_sample, tmp_path, category="config files")


NAMES = ("esc-", "title-", "clear-", "newline-", "cr-", "bell-", "del-", "invalid-utf8-",
         "c1-csi-", "bidi-", "linesep-", "pax-")


@pytest.mark.parametrize("fmt", _support.IMAGE_FORMATS)
@pytest.mark.parametrize(
    "args",
    [["inspect", "--top", "50", "--depth", "3"], ["ls", "-lR"], ["ls"],
     ["inspect", "--top", "50", "--depth", "3", "--format", "json"],
     ["ls", "--format", "json", "-R"]],
    ids=["inspect", "ls-lR", "ls", "inspect-json", "ls-json"],
)
def test_control_names_are_escaped(fmt: str, args: list[str], hostile_root: Path,
                                   tmp_path: Path) -> None:
    """Names full of terminal escapes reach the terminal escaped, in every output."""
    rel = {"docker-archive": "docker-archive/control_names.tar", "oci": "oci/control_names",
           "oci-archive": "oci-archive/control_names.tar"}[fmt]
    ref = f"{fmt}:{hostile_root / rel}"
    if args[0] == "ls" and "-R" not in args:
        args = [*args, ref, "/names"]
    else:
        args = [*args, ref]
    run = _support.run_cli(args, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    for raw in (b"\x1b", b"\r", b"\x07", b"\x7f", b"\xc2\x9b", "\u202e".encode(), "\u2028".encode()):
        assert raw not in out, f"raw {raw!r} in output"
    out.decode("utf-8")  # invalid UTF-8 from the image never reaches the terminal raw either
    if "json" in args:
        doc = json.loads(out)
        text = json.dumps(doc)
        for name in NAMES:
            assert name in text, name
        return
    lines = out.decode().splitlines()
    for name in ("esc-\\x1b[31mred", "title-\\x1b]0;pwned\\x07", "newline-\\x0aforged line",
                 "invalid-utf8-\\xff\\xfe", "bidi-\\u202etxt.exe"):
        assert any(name in line for line in lines), f"{name} not shown escaped"
    # A newline in a name must not forge an output line of its own.
    assert not any(line.startswith("forged line") for line in lines)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_secret_in_hostile_config_is_redacted(fmt: str, hostile_root: Path, tmp_path: Path) -> None:
    """`API_TOKEN=hunter2…` in the config never reaches any output, whatever surrounds it."""
    ref = f"docker-archive:{hostile_root / 'docker-archive' / 'da_config_control_chars.tar'}"
    run = _support.run_cli(["inspect", "--format", fmt, ref], cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert b"hunter2" not in run.stdout + run.stderr
    assert b"API_TOKEN" in run.stdout
