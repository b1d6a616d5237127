"""`finalstage lint DOCKERFILE…`: lint the final stage of Dockerfiles.

Exit codes: 0 when no finding reaches ``--fail-on`` (default error), 1 otherwise, 2 on a usage or
input error (raised as FinalstageError and printed as one line by ``cli.main``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from finalstage.api.autofix import lint_fix
from finalstage.api.lint import lint as run_lint
from finalstage.cli._app import (
    AsError,
    AsInfo,
    AsStyle,
    AsWarning,
    BuildArg,
    ExitZero,
    FailOn,
    Formats,
    Ignore,
    NoColor,
    Outputs,
    Quiet,
    Select,
    Statistics,
    Target,
    Verbose,
    build_args_of,
    command,
    emit,
    write,
    rule_refs,
    severities_of,
    severity_of,
)
from finalstage.report import Output, plan


@command()
def lint(
    dockerfiles: Annotated[list[str], typer.Argument(
        metavar="DOCKERFILE", help="Dockerfiles to lint ('-' reads stdin).")],
    build_arg: BuildArg = [],  # noqa: B006 - typer reads the default, never mutates it
    target: Target = None,
    select: Select = [],  # noqa: B006
    ignore: Ignore = [],  # noqa: B006
    error: AsError = [],  # noqa: B006
    warning: AsWarning = [],  # noqa: B006
    info: AsInfo = [],  # noqa: B006
    style: AsStyle = [],  # noqa: B006
    config: Annotated[str | None, typer.Option(
        "--config", metavar="FILE", help="finalstage.toml or pyproject.toml to use.")] = None,
    output_format: Formats = [],  # noqa: B006
    output: Outputs = [],  # noqa: B006
    fail_on: FailOn = None,
    exit_zero: ExitZero = False,
    disable_ignore_pragma: Annotated[bool, typer.Option(
        "--disable-ignore-pragma", help="Ignore '# finalstage: ignore=' comments.")] = False,
    statistics: Statistics = False,
    quiet: Quiet = False,
    fix: Annotated[bool, typer.Option(
        "--fix", help="Apply the safe fixes in place, then report what is left.")] = False,
    diff: Annotated[bool, typer.Option(
        "--diff", help="Print the fixes as a unified diff; write nothing (exit 1 if any).")] = False,
    unsafe_fixes: Annotated[bool, typer.Option(
        "--unsafe-fixes", help="Also apply fixes that may change behaviour.")] = False,
    verbose: Verbose = False,
    no_color: NoColor = False,
) -> None:
    """Lint the final stage of DOCKERFILE(s): what reaches the image that ships. Formats: text,
    json, sarif, junit, github, gitlab, checkstyle."""
    outputs = plan("lint", output_format, output, statistics=statistics)
    if fix or diff:
        _fix(dockerfiles, outputs, diff=diff, unsafe=unsafe_fixes, no_color=no_color,
             verbose=verbose, quiet=quiet, build_args=build_args_of(build_arg), target=target,
             settings=config, select=rule_refs(select) if select else None,
             ignore=rule_refs(ignore), fail_on=severity_of(fail_on))
    report = run_lint(dockerfiles, build_args=build_args_of(build_arg), target=target,
                      settings=config, select=rule_refs(select) if select else None,
                      ignore=rule_refs(ignore), disable_ignore_pragma=disable_ignore_pragma,
                      fail_on=severity_of(fail_on),
                      severities=severities_of(error=error, warning=warning, info=info,
                                               style=style))
    emit(report, outputs, no_color=no_color, statistics=statistics, verbose=verbose,
         quiet=quiet)
    raise typer.Exit(0 if exit_zero else report.exit_code)


def _fix(dockerfiles: list[str], outputs: list[Output], *, diff: bool, unsafe: bool,
         no_color: bool, verbose: bool, quiet: bool, **lint_options: object) -> None:
    """``--fix`` (write the fixes, report what is left) or ``--diff`` (print them, write
    nothing, exit 1 when there is any)."""
    report = lint_fix(dockerfiles, write=not diff, unsafe=unsafe, **lint_options)  # type: ignore[arg-type]
    if diff:
        patch = "".join(f.diff() for f in report.detail)  # type: ignore[union-attr]
        write(patch, outputs[0].path if outputs else None)
        raise typer.Exit(1 if patch else 0)
    emit(report, outputs, no_color=no_color, verbose=verbose, quiet=quiet)
    raise typer.Exit(report.exit_code)
