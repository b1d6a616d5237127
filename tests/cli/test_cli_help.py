"""`--help` reads cleanly with the typer and click a fresh install resolves (issue 21.7).

typer ≤ 0.20 escapes ``[required]`` for rich markup even with rich markup off, click 8.5 drops
the help of every typer argument, and click ≥ 8.4 suggests a mistyped command as typer does:
each shows up here, on the versions installed (tests/test_distribution.py runs the same checks
in a fresh virtualenv built from the wheel).
"""

from __future__ import annotations

import re
from importlib import metadata

import pytest
from tests.cli._cli import run, run_process

from finalstage.cli.run import COMMANDS

# What each command's positional arguments say in --help (from their typer.Argument help).
ARGUMENT_HELP = {
    "lint": ["Dockerfiles to lint"],
    "rules": ["A code (FS103)"],
    "inspect": ["Image reference"],
    "ls": ["Image reference", "Path inside the image"],
    "check": ["Image reference"],
    "diff": ["The image before", "The image after"],
    "fix": ["The Dockerfile"],
    "slim": ["Image reference"],
    "scan": [],
}


def _section(text: str, title: str) -> str:
    """The lines of one help section (``Arguments:``, ``Options:``…)."""
    match = re.search(rf"^{title}:\n((?:  .*\n|\n)*)", text, re.MULTILINE)
    return match.group(1) if match else ""


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_command_help_has_no_markup_escapes_and_shows_argument_help(command: str) -> None:
    result = run(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "\\[" not in result.stdout and "\\]" not in result.stdout
    arguments = " ".join(_section(result.stdout, "Arguments").split())
    for words in ARGUMENT_HELP[command]:
        assert words in arguments, result.stdout
    assert _section(result.stdout, "Options"), result.stdout


def test_required_and_defaults_read_as_click_writes_them() -> None:
    text = " ".join(run("check", "--help").stdout.split())
    assert "IMAGE Image reference: docker-archive:/oci:/oci- archive:/docker://…/containers-storage:," \
           " a path, or a bare name (app:1), looked up as podman does: local storage, then a" \
           " registry. [required]" in text
    assert "--depth INTEGER RANGE Depth of the filesystem tree. [default: 2; 0<=x<=64]" in \
        " ".join(run("inspect", "--help").stdout.split())


def test_root_help_lists_commands_and_exit_codes() -> None:
    result = run("--help")
    assert result.returncode == 0
    for name in COMMANDS:
        assert re.search(rf"^  {name} ", result.stdout, re.MULTILINE), result.stdout
    codes = result.stdout[result.stdout.index("Exit codes:"):]
    for code, words in (("0", "pass"), ("1", "findings at or above --fail-on"),
                        ("2", "usage or input error"), ("130", "interrupted")):
        assert re.search(rf"^\s+{code}\s+{words}", codes, re.MULTILINE), codes
    assert "--install-completion" in result.stdout and "--show-completion" in result.stdout


@pytest.mark.parametrize(("argv", "suggestion"), [
    (["chek", "x"], "Did you mean 'check'?"),
    (["insepct"], "Did you mean 'inspect'?"),
    (["lint", "--formt", "json", "Dockerfile"], "'--format'"),
])
def test_did_you_mean_appears_once(argv: list[str], suggestion: str) -> None:
    result = run_process(*argv)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("finalstage: "), result.stderr
    assert result.stderr.count("Did you mean") == 1 and suggestion in result.stderr


def test_installed_typer_and_click_are_the_pinned_ones() -> None:
    # The help above is only as good as these versions (pyproject.toml says why).
    typer_version = tuple(int(p) for p in metadata.version("typer").split(".")[:2])
    click_version = tuple(int(p) for p in metadata.version("click").split(".")[:2])
    assert typer_version < (0, 21) and (8, 1) <= click_version < (8, 5)
