"""`finalstage lint DOCKERFILE…`: lint the final stage of Dockerfiles.

Exit codes: 0 when no finding reaches ``--fail-on`` (default error), 1 otherwise, 2 on a usage or
input error (raised as FinalstageError and printed as one line by ``cli.main``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from finalstage.api.lint import lint as run_lint
from finalstage.cli._app import (
    BuildArg,
    FailOn,
    Ignore,
    OutputFile,
    Select,
    Target,
    Verbose,
    app,
    build_args_of,
    emit,
    rule_refs,
    severity_of,
)


@app.command()
def lint(
    dockerfiles: Annotated[list[str], typer.Argument(
        metavar="DOCKERFILE", help="Dockerfiles to lint ('-' reads stdin).")],
    build_arg: BuildArg = [],  # noqa: B006 - typer reads the default, never mutates it
    target: Target = None,
    select: Select = [],  # noqa: B006
    ignore: Ignore = [],  # noqa: B006
    config: Annotated[str | None, typer.Option(
        "--config", metavar="FILE", help="finalstage.toml or pyproject.toml to use.")] = None,
    output_format: Annotated[str, typer.Option(
        "--format", metavar="FORMAT", help="text, json, sarif, junit or github.")] = "text",
    fail_on: FailOn = None,
    disable_ignore_pragma: Annotated[bool, typer.Option(
        "--disable-ignore-pragma", help="Ignore '# finalstage: ignore=' comments.")] = False,
    output: OutputFile = None,
    verbose: Verbose = False,
) -> None:
    """Lint the final stage of DOCKERFILE(s): what reaches the image that ships."""
    report = run_lint(dockerfiles, build_args=build_args_of(build_arg), target=target,
                      settings=config, select=rule_refs(select) if select else None,
                      ignore=rule_refs(ignore), disable_ignore_pragma=disable_ignore_pragma,
                      fail_on=severity_of(fail_on))
    emit(report, output_format, output, verbose=verbose)
    raise typer.Exit(report.exit_code)
