"""`finalstage lint` and `finalstage rules` end to end, through the real entry point.

Most tests call ``finalstage.cli.main(argv)`` in-process (the same code the console script runs,
minus interpreter start-up); a few run the real process to prove exit codes and stderr there.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli._cli import run, run_process

CLEAN = "FROM alpine:3.20\nUSER 1000\nCMD [\"/app\"]\n"
DIRTY = "FROM alpine\nCOPY . /app\n"          # FS102 warning, FS103 error, FS401 warning


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, text in {"clean": CLEAN, "dirty": DIRTY}.items():
        path = tmp_path / f"{name}.Dockerfile"
        path.write_text(text, encoding="utf-8")
        out[name] = path
    return out


def test_clean_file_exits_0(files: dict[str, Path]) -> None:
    result = run("lint", str(files["clean"]))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_error_finding_exits_1_with_text_report(files: dict[str, Path]) -> None:
    result = run_process("lint", str(files["dirty"]))
    assert result.returncode == 1
    assert f"{files['dirty']}:2:1: FS103" in result.stdout
    assert "COPY . /app" in result.stdout


def test_fail_on_warning_and_ignore(files: dict[str, Path]) -> None:
    assert run("lint", str(files["dirty"]), "--ignore", "FS103").returncode == 0
    assert run("lint", str(files["dirty"]), "--ignore", "FS103",
               "--fail-on", "warning").returncode == 1
    assert run("lint", str(files["dirty"]), "--select", "FS102,FS109").returncode == 0


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "github", "text"])
def test_every_format(files: dict[str, Path], fmt: str) -> None:
    result = run("lint", str(files["dirty"]), "--format", fmt)
    assert result.returncode == 1, result.stderr
    assert "FS103" in result.stdout
    if fmt in ("json", "sarif"):
        data = json.loads(result.stdout)
        assert data


def test_json_lists_findings(files: dict[str, Path]) -> None:
    data = json.loads(run("lint", str(files["dirty"]), "--format", "json").stdout)
    assert sorted(f["rule"] for f in data["findings"]) == ["FS102", "FS103", "FS401"]


def test_output_file(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "report.sarif"
    result = run("lint", str(files["dirty"]), "--format", "sarif", "-o", str(out))
    assert result.returncode == 1 and result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["version"] == "2.1.0"


def test_build_arg_and_target(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("ARG BASE=alpine:3.20\nFROM golang:1.22 AS build\nFROM ${BASE}\nUSER 1\n",
                    encoding="utf-8")
    assert run("lint", str(path)).returncode == 0
    assert run("lint", str(path), "--build-arg", "BASE=golang:1.22").returncode == 1
    assert run("lint", str(path), "--target", "build").returncode == 1


def test_pragma_and_disable_ignore_pragma(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM alpine:3.20\nUSER 1\n# finalstage: ignore=FS103 # allow-list\n"
                    "COPY . /app\n", encoding="utf-8")
    assert run("lint", str(path)).returncode == 0
    assert run("lint", str(path), "--disable-ignore-pragma").returncode == 1


def test_stdin(files: dict[str, Path]) -> None:
    result = run_process("lint", "-", stdin=DIRTY)
    assert result.returncode == 1 and "FS103" in result.stdout


def test_config_option(files: dict[str, Path], tmp_path: Path) -> None:
    config = tmp_path / "custom.toml"
    config.write_text('ignore = ["FS103"]\n', encoding="utf-8")
    assert run("lint", str(files["dirty"]), "--config", str(config)).returncode == 0


def test_many_files_one_broken_is_a_finding(files: dict[str, Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.Dockerfile"
    broken.write_text("FROM alpine:3.20\nRUN <<EOF\necho\n", encoding="utf-8")
    result = run("lint", str(files["clean"]), str(broken))
    assert result.returncode == 1
    assert "FS001" in result.stdout


BAD_INPUTS = {
    "missing": (None, "no such file"),
    "directory": ("<dir>", "is a directory"),
    "binary": (b"\x7fELF\x00\x01\x02\x00\x00", None),
    "empty": (b"", None),
    "unknown_instruction": (b"FROM alpine:3.20\nFROMM x\n", "unknown instruction"),
    "unterminated_heredoc": (b"FROM alpine:3.20\nRUN <<EOF\necho hi\n", None),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_one_line_exit_2(case: str, tmp_path: Path) -> None:
    content, expected = BAD_INPUTS[case]
    path = tmp_path / "Dockerfile"
    if content == "<dir>":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    result = run_process("lint", str(path)) if case == "binary" else run("lint", str(path))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("finalstage: "), result.stderr
    assert "Traceback" not in result.stderr
    if expected:
        assert expected in lines[0]


@pytest.mark.parametrize("args, expected", [
    (["--target", "nope"], "nope"),
    (["--format", "xml"], "xml"),
    (["--fail-on", "fatal"], "fatal"),
    (["--select", "FS8"], "FS8"),
    (["--build-arg", "=x"], "--build-arg"),
    (["--config", "/no/such.toml"], "no such file"),
])
def test_bad_options_exit_2(files: dict[str, Path], args: list[str], expected: str) -> None:
    result = run("lint", str(files["clean"]), *args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr


def test_rules_lists_every_rule() -> None:
    from finalstage.rules import ALL_RULES

    result = run("rules")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(ALL_RULES)
    assert lines[3].split()[:3] == ["FS101", "sdk-base-image", "error"]


@pytest.mark.parametrize("ref", ["FS103", "copy-entire-context", "fs103"])
def test_rules_prints_docs(ref: str) -> None:
    result = run("rules", ref)
    assert result.returncode == 0
    assert result.stdout.startswith("# copy-entire-context (FS103)\n")
    assert "## Why is this bad?" in result.stdout


def test_rules_json_and_unknown() -> None:
    data = json.loads(run("rules", "FS101", "--format", "json").stdout)
    (rule,) = data["rules"]
    assert data["command"] == "rules" and data["schema_version"] == 1
    assert rule["name"] == "sdk-base-image" and "## What it does" in rule["doc"]
    result = run("rules", "FS999")
    assert result.returncode == 2 and "FS999" in result.stderr


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github"])
def test_secrets_are_redacted_in_every_format(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM alpine:3.20\nUSER 1\n"
                    "ENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY\n"
                    "ARG T=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n", encoding="utf-8")
    result = run("lint", str(path), "--format", fmt)
    assert result.returncode == 1
    assert "FS111" in result.stdout
    assert "wJalrXUtnFEMI" not in result.stdout + result.stderr
    assert "ghp_abcdef" not in result.stdout + result.stderr
