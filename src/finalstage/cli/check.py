"""`finalstage check IMAGE`: the CI gate — every selected rule on the image and, with
--dockerfile, on both; the policy's budgets and bans; structure tests.

Exit codes: 0 pass, 1 a finding at ``--fail-on`` (a failed policy key or structure test is one),
2 a usage or input error (bad policy file, unreadable image), printed as one line by ``cli.main``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from finalstage.api.check import check as run_check
from finalstage.cli._app import (
    AuthFile,
    BuildArg,
    FailOn,
    ImageArg,
    Limit,
    OutputFile,
    Platform,
    Reverify,
    Target,
    TlsVerify,
    Verbose,
    app,
    build_args_of,
    emit,
    limits_of,
    progress_for_tty,
    severity_of,
)


@app.command()
def check(
    image: ImageArg,
    dockerfile: Annotated[str | None, typer.Option(
        "--dockerfile", metavar="FILE", help="The Dockerfile the image was built from: lint "
        "it and point findings at its lines.")] = None,
    build_arg: BuildArg = [],  # noqa: B006 - typer reads the default, never mutates it
    target: Target = None,
    policy: Annotated[str | None, typer.Option(
        "--policy", metavar="FILE", help="Settings or policy file (default: the nearest "
        "finalstage.toml, or pyproject.toml [tool.finalstage]).")] = None,
    cst: Annotated[list[str], typer.Option(
        "--cst", metavar="FILE", help="container-structure-test YAML to run (repeatable).")] = [],  # noqa: B006
    baseline: Annotated[str | None, typer.Option(
        "--baseline", metavar="FILE", help="Set aside the findings recorded in FILE.")] = None,
    write_baseline: Annotated[str | None, typer.Option(
        "--write-baseline", metavar="FILE", help="Record the current findings in FILE.")] = None,
    fail_on: FailOn = None,
    platform: Platform = None,
    output_format: Annotated[str, typer.Option(
        "--format", help="text, json, sarif, junit or github.")] = "text",
    output: OutputFile = None,
    limit: Limit = [],  # noqa: B006
    tls_verify: TlsVerify = None,
    authfile: AuthFile = None,
    verbose: Verbose = False,
    reverify: Reverify = False,
) -> None:
    """Gate IMAGE on a policy and structure tests; with --dockerfile, lint it and tie every
    image finding to the Dockerfile line that made it."""
    report = run_check(
        image, dockerfile=dockerfile, build_args=build_args_of(build_arg), target=target,
        policy=policy, cst=cst, baseline=baseline, write_baseline=write_baseline,
        fail_on=severity_of(fail_on), platform=platform, limits=limits_of(limit),
        tls_verify=tls_verify, auth_file=authfile, progress=progress_for_tty(),
        reverify=reverify)
    emit(report, output_format, output, verbose=verbose)
    raise typer.Exit(report.exit_code)
