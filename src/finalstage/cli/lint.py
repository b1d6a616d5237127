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
    fix: Annotated[bool, typer.Option(
        "--fix", help="Apply the safe fixes in place, then report what is left.")] = False,
    diff: Annotated[bool, typer.Option(
        "--diff", help="Print the fixes as a unified diff; write nothing (exit 1 if any).")] = False,
    unsafe_fixes: Annotated[bool, typer.Option(
        "--unsafe-fixes", help="Also apply fixes that may change behaviour.")] = False,
    output: OutputFile = None,
    verbose: Verbose = False,
) -> None:
    """Lint the final stage of DOCKERFILE(s): what reaches the image that ships."""
    if fix or diff:
        report = lint_fix(dockerfiles, write=not diff, unsafe=unsafe_fixes,
                          build_args=build_args_of(build_arg), target=target, settings=config,
                          select=rule_refs(select) if select else None, ignore=rule_refs(ignore),
                          fail_on=severity_of(fail_on))
        if diff:
            patch = "".join(f.diff() for f in report.detail)  # type: ignore[union-attr]
            emit(patch, "text", output)
            raise typer.Exit(1 if patch else 0)
        emit(report, output_format, output, verbose=verbose)
        raise typer.Exit(report.exit_code)
    report = run_lint(dockerfiles, build_args=build_args_of(build_arg), target=target,
                      settings=config, select=rule_refs(select) if select else None,
                      ignore=rule_refs(ignore), disable_ignore_pragma=disable_ignore_pragma,
                      fail_on=severity_of(fail_on))
    emit(report, output_format, output, verbose=verbose)
    raise typer.Exit(report.exit_code)
