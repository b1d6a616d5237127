"""`finalstage lint DOCKERFILE…`: lint the final stage of Dockerfiles.

Exit codes: 0 when no finding reaches ``--fail-on`` (default error), 1 otherwise, 2 on a usage or
input error (raised as FinalstageError and printed as one line by ``cli.main``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

import typer

from finalstage.cli._app import app

if TYPE_CHECKING:
    from finalstage.findings import Severity


@app.command()
def lint(
    dockerfiles: list[str] = typer.Argument(..., metavar="DOCKERFILE",
                                            help="Dockerfiles to lint ('-' reads stdin)."),
    build_arg: list[str] = typer.Option([], "--build-arg", metavar="KEY=VALUE",
                                        help="Build argument, as for docker build (repeatable)."),
    target: str | None = typer.Option(None, "--target", metavar="STAGE",
                                      help="Stage to lint as the final one."),
    select: list[str] = typer.Option([], "--select", metavar="RULES",
                                     help="Rules to run: codes, prefixes (FS1), names, groups."),
    ignore: list[str] = typer.Option([], "--ignore", metavar="RULES",
                                     help="Rules to skip: codes, prefixes, names, groups."),
    config: str | None = typer.Option(None, "--config", metavar="FILE",
                                         help="finalstage.toml or pyproject.toml to use."),
    output_format: str = typer.Option("text", "--format", metavar="FORMAT",
                                      help="text, json, sarif, junit or github."),
    fail_on: str | None = typer.Option(None, "--fail-on", metavar="SEVERITY",
                                          help="Exit 1 at or above: error (default), warning, "
                                               "info, style."),
    disable_ignore_pragma: bool = typer.Option(False, "--disable-ignore-pragma",
                                               help="Ignore '# finalstage: ignore=' comments."),
    output: str | None = typer.Option(None, "-o", "--output", metavar="FILE",
                                         help="Write the report to FILE instead of stdout."),
) -> None:
    """Lint the final stage of DOCKERFILE(s): what reaches the image that ships."""
    from finalstage.lint import lint_paths
    from finalstage.report import OutputFormat, color_for, render

    fmt = OutputFormat.parse(output_format)
    threshold = _severity(fail_on, "--fail-on") if fail_on is not None else None
    report = lint_paths(
        dockerfiles,
        build_args=_build_args(build_arg),
        target=target,
        config=config,
        select=_rule_refs(select) if select else None,
        ignore=_rule_refs(ignore),
        disable_ignore_pragma=disable_ignore_pragma,
        fail_on=threshold,
    )
    color = output is None and color_for(sys.stdout)
    _write_output(render(report, fmt.value, color=color), output)
    raise typer.Exit(1 if report.is_failed else 0)


# -- option values (kept here: only lint uses them) --------------------------------------------
def _build_args(values: Iterable[str]) -> dict[str, str]:
    """``KEY=VALUE`` words → dict; a bare ``KEY`` takes its value from the environment."""
    from finalstage.errors import UsageError

    out: dict[str, str] = {}
    for value in values:
        key, eq, val = value.partition("=")
        if not key or not key.replace("_", "a").isalnum():
            # Name only: the value may be a secret.
            raise UsageError(f"invalid --build-arg name {key!r}: expected KEY=VALUE")
        if eq:
            out[key] = val
        elif key in os.environ:  # docker build takes a bare KEY from the environment
            out[key] = os.environ[key]
    return out


def _rule_refs(values: Iterable[str]) -> list[str]:
    """Repeatable, comma-separated rule references → one flat list."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _severity(value: str, option: str) -> Severity:
    """A severity name, or UsageError listing the choices."""
    from finalstage.errors import UsageError
    from finalstage.findings import Severity

    try:
        return Severity(value.strip().lower())
    except ValueError:
        choices = "|".join(s.value for s in Severity)
        raise UsageError(f"invalid {option} {value!r}: use {choices}") from None


def _write_output(text: str, path: str | None) -> None:
    """Write ``text`` to ``path`` or stdout (with a final newline)."""
    from finalstage.errors import UsageError

    if text and not text.endswith("\n"):
        text += "\n"
    if path is None or path == "-":
        sys.stdout.write(text)
        return
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as err:
        raise UsageError(f"writing {path}: {err.strerror or err}") from err
