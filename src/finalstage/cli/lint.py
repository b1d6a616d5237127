"""`finalstage lint DOCKERFILE…`: lint the final stage of Dockerfiles.

Exit codes: 0 when no finding reaches ``--fail-on`` (default error), 1 otherwise, 2 on a usage or
input error (raised as FinalstageError and printed as one line by ``cli.main``).
"""

from __future__ import annotations

from typing import Annotated

import typer

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
    rule_refs,
    severities_of,
    severity_of,
)
from finalstage.report import plan


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
    verbose: Verbose = False,
    no_color: NoColor = False,
) -> None:
    """Lint the final stage of DOCKERFILE(s): what reaches the image that ships. Formats: text,
    json, sarif, junit, github, gitlab, checkstyle."""
    outputs = plan("lint", output_format, output, statistics=statistics)
    report = run_lint(dockerfiles, build_args=build_args_of(build_arg), target=target,
                      settings=config, select=rule_refs(select) if select else None,
                      ignore=rule_refs(ignore), disable_ignore_pragma=disable_ignore_pragma,
                      fail_on=severity_of(fail_on),
                      severities=severities_of(error=error, warning=warning, info=info,
                                               style=style))
    emit(report, outputs, no_color=no_color, statistics=statistics, verbose=verbose,
         quiet=quiet)
    raise typer.Exit(0 if exit_zero else report.exit_code)
