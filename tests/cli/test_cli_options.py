"""The options people reach for (issue 21.8): -o on every command that writes a report, several
outputs in one run, --exit-zero, -q/-v, --no-color (and TERM=dumb), shell completion, --error /
--warning / --info / --style and --statistics. Run on the images shipped in examples/images.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from tests.cli._cli import run, run_process

ROOT = Path(__file__).resolve().parents[2]
FAT = ROOT / "examples" / "images" / "busybox-fat.tar"
FAT_DOCKERFILE = ROOT / "examples" / "busybox" / "Dockerfile.fat"
GO_FAT = ROOT / "examples" / "go" / "Dockerfile.fat"
GO = ROOT / "examples" / "go" / "Dockerfile"

pytestmark = pytest.mark.skipif(not FAT.is_file(), reason="examples/images not built")


# -- -o on every command, and several outputs in one run -----------------------------------------

@pytest.mark.parametrize("argv", [
    ["inspect", str(FAT), "--format", "json"],
    ["ls", str(FAT), "/app", "--format", "json"],
    ["rules", "--format", "json"],
    ["lint", str(GO_FAT), "--format", "json"],
])
def test_o_writes_the_report_of_every_command(argv: list[str], tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run(*argv, "-o", str(out))
    assert result.returncode in (0, 1), result.stderr
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["command"] == argv[0]


def test_syft_style_outputs_beside_the_text_on_stdout(tmp_path: Path) -> None:
    files = {fmt: tmp_path / f"out.{fmt}" for fmt in ("sarif", "junit", "gitlab", "checkstyle",
                                                     "json")}
    result = run("check", str(FAT), "--dockerfile", str(FAT_DOCKERFILE),
                 *[f"-o{fmt}={path}" if fmt == "json" else f"--output={fmt}={path}"
                   for fmt, path in files.items()])
    assert result.returncode == 1, result.stderr
    assert "check FAILED" in result.stdout  # --format text, the default, still on stdout
    sarif = json.loads(files["sarif"].read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert ET.parse(files["junit"]).getroot().tag == "testsuites"
    assert ET.parse(files["checkstyle"]).getroot().tag == "checkstyle"
    gitlab = json.loads(files["gitlab"].read_text())
    assert gitlab and {i["check_name"] for i in gitlab} == \
        {f["rule"] for f in json.loads(files["json"].read_text())["findings"]}


def test_format_and_output_pairs_in_order(tmp_path: Path) -> None:
    sarif, junit = tmp_path / "a.sarif", tmp_path / "b.xml"
    result = run("lint", str(GO_FAT), "--format", "sarif", "-o", str(sarif),
                 "--format", "junit", "-o", str(junit))
    assert result.returncode == 1 and result.stdout == ""
    assert json.loads(sarif.read_text())["runs"][0]["results"]
    assert ET.parse(junit).getroot().get("failures") != "0"


@pytest.mark.parametrize(("argv", "message"), [
    (["--format", "sarif", "--format", "junit", "-o", "a"], "do not pair up"),
    (["--format", "sarif", "--format", "junit"], "several --format need one -o FILE each"),
    (["-o", "sarif=x", "-o", "junit=x"], "is given twice"),
    (["-o", "-", "-o", "sarif=-"], "only one output can go to stdout"),
    (["-o", "sarf=x.sarif"], "unknown output format 'sarf'"),
    (["-o", "sarif="], "no file after '='"),
    (["--statistics", "--format", "sarif"], "output format 'sarif' is not available here"),
])
def test_outputs_that_do_not_pair_are_usage_errors(argv: list[str], message: str,
                                                   tmp_path: Path) -> None:
    os.chdir(tmp_path)
    result = run("lint", str(GO_FAT), *argv)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


def test_a_format_the_command_lacks_fails_before_reading_the_image(tmp_path: Path) -> None:
    result = run("inspect", str(tmp_path / "missing.tar"), "-o", f"sarif={tmp_path / 'x'}")
    assert result.returncode == 2
    assert "output format 'sarif' is not available here: use text|json" in result.stderr


def test_dot_slash_names_a_file_that_looks_like_a_pair(tmp_path: Path) -> None:
    os.chdir(tmp_path)
    assert run("rules", "-o", "./sarif=x").returncode == 0
    assert (tmp_path / "sarif=x").read_text().startswith("FS001")


# -- exit codes and verbosity ---------------------------------------------------------------------

def test_exit_zero_passes_findings_but_not_errors(tmp_path: Path) -> None:
    result = run("lint", str(GO_FAT), "--exit-zero")
    assert result.returncode == 0 and "FS101" in result.stdout
    assert run("check", str(FAT), "--exit-zero").returncode == 0
    assert run("lint", str(tmp_path / "missing"), "--exit-zero").returncode == 2


def test_quiet_prints_the_findings_only() -> None:
    loud = run("check", str(FAT), "--dockerfile", str(FAT_DOCKERFILE))
    quiet = run("check", str(FAT), "--dockerfile", str(FAT_DOCKERFILE), "-q")
    assert quiet.returncode == loud.returncode == 1
    assert "check FAILED" in loud.stdout and "check FAILED" not in quiet.stdout
    assert quiet.stdout.strip() and loud.stdout.startswith(quiet.stdout.rstrip("\n"))
    summary = loud.stdout.split("\n\n")[-1].splitlines()[0]  # "N errors, … in M targets"
    assert summary.endswith((" target", " targets")) and summary not in quiet.stdout
    assert run("lint", str(GO), "--select", "FS103", "-q").stdout == ""


def test_verbose_lists_skipped_rules() -> None:
    result = run("lint", str(GO), "-v")
    assert "rule(s) skipped:" in result.stdout and "needs an image" in result.stdout
    assert "rule(s) skipped:" not in run("lint", str(GO)).stdout


# -- colour ---------------------------------------------------------------------------------------

def _on_a_terminal(*args: str, env: dict[str, str]) -> str:
    """Run the real process with stdout on a pseudo-terminal; what it printed."""
    leader, follower = pty.openpty()
    clean = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    proc = subprocess.run([sys.executable, "-m", "finalstage", *args], stdout=follower,
                          stderr=subprocess.PIPE, env={**clean, **env}, timeout=120, check=False)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal is drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.returncode == 1, proc.stderr
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_and_off_for_no_color_and_dumb_terminals() -> None:
    assert "\x1b[" in _on_a_terminal("lint", str(GO_FAT), env={"TERM": "xterm"})
    assert "\x1b[" not in _on_a_terminal("lint", str(GO_FAT), "--no-color",
                                         env={"TERM": "xterm"})
    assert "\x1b[" not in _on_a_terminal("lint", str(GO_FAT), env={"TERM": "dumb"})
    assert "\x1b[" not in _on_a_terminal("lint", str(GO_FAT), env={"TERM": "xterm",
                                                                   "NO_COLOR": "1"})


def test_no_color_beats_force_color() -> None:
    forced = run_process("lint", str(GO_FAT), env={"FORCE_COLOR": "1"})
    assert "\x1b[" in forced.stdout
    assert "\x1b[" not in run_process("lint", str(GO_FAT), "--no-color",
                                      env={"FORCE_COLOR": "1"}).stdout


# -- shell completion -----------------------------------------------------------------------------

FINALSTAGE = str(Path(sys.executable).with_name("finalstage"))


def _complete(shell: str, line: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "_FINALSTAGE_COMPLETE": f"complete_{shell}",
           "_TYPER_COMPLETE_ARGS": line, "COMP_WORDS": line,
           "COMP_CWORD": str(len(line.split()) - (0 if line.endswith(" ") else 1)),
           "_TYPER_COMPLETE_FISH_ACTION": "get-args"}
    return subprocess.run([FINALSTAGE], capture_output=True, text=True, env=env, timeout=60,
                          check=False)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_and_answers(shell: str, tmp_path: Path) -> None:
    env = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1", "HOME": str(tmp_path)}
    script = run_process("--show-completion", shell, env=env)
    assert script.returncode == 0 and "_FINALSTAGE_COMPLETE" in script.stdout
    assert f"complete_{shell}" in script.stdout
    assert "check" in _complete(shell, "finalstage ch").stdout
    assert "--format" in _complete(shell, "finalstage check --fo").stdout
    installed = run_process("--install-completion", shell, env=env)
    assert installed.returncode == 0, installed.stderr
    assert any("_FINALSTAGE_COMPLETE" in p.read_text() for p in tmp_path.rglob("*") if p.is_file())


def test_completion_adds_nothing_to_start_up() -> None:
    # typer builds the click command on every run: the two completion options must not make
    # that slower for the commands people run (medians of interleaved runs, in-process)
    import typer.main

    from finalstage.cli.run import register
    from finalstage.cli._app import app

    register(None)
    times: dict[bool, list[float]] = {True: [], False: []}
    try:
        for _ in range(25):
            for flag in (True, False):
                app.info.add_completion = flag
                start = time.perf_counter()
                typer.main.get_command(app)
                times[flag].append(time.perf_counter() - start)
    finally:
        app.info.add_completion = True
    with_completion, without = (sorted(times[f])[len(times[f]) // 2] for f in (True, False))
    assert with_completion < without * 1.25 + 0.002, (with_completion, without)


# -- severities from the command line, statistics -------------------------------------------------

def test_error_and_warning_override_severities() -> None:
    base = json.loads(run("lint", str(GO_FAT), "--format", "json").stdout)
    severity = {f["rule"]: f["severity"] for f in base["findings"]}
    assert severity["FS108"] == "warning" and severity["FS101"] == "error"
    changed = json.loads(run("lint", str(GO_FAT), "--format", "json", "--error", "FS108",
                             "--warning", "sdk-base-image,FS113", "--style", "FS401").stdout)
    severity = {f["rule"]: f["severity"] for f in changed["findings"]}
    assert (severity["FS108"], severity["FS101"], severity["FS113"], severity["FS401"]) == \
        ("error", "warning", "warning", "style")
    result = run("check", str(FAT), "--dockerfile", str(FAT_DOCKERFILE), "--format", "json",
                 "--info", "FS401")
    assert {f["severity"] for f in json.loads(result.stdout)["findings"]
            if f["rule"] == "FS401"} == {"info"}
    unknown = run("lint", str(GO_FAT), "--error", "FS999")
    assert unknown.returncode == 2 and "unknown rule: 'FS999'" in unknown.stderr


def test_statistics_counts_findings_per_rule() -> None:
    findings = json.loads(run("check", str(FAT), "--format", "json").stdout)["findings"]
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding["rule"]] = counts.get(finding["rule"], 0) + 1
    text = run("check", str(FAT), "--statistics")
    assert text.returncode == 1
    rows = [line.split() for line in text.stdout.splitlines()]
    assert {row[1]: int(row[0]) for row in rows} == counts
    assert [int(row[0]) for row in rows] == sorted((int(row[0]) for row in rows), reverse=True)
    doc = json.loads(run("check", str(FAT), "--statistics", "--format", "json").stdout)
    assert {s["code"]: s["count"] for s in doc["statistics"]} == counts
    assert doc["total"] == len(findings) and doc["failed"] is True
    assert run("lint", str(GO), "--select", "FS103", "--statistics").stdout == ""
