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
    AsError,
    AsInfo,
    AsStyle,
    AsWarning,
    AuthFile,
    BuildArg,
    ExitZero,
    FailOn,
    Formats,
    ImageArg,
    Limit,
    NoColor,
    Outputs,
    Platform,
    Quiet,
    Reverify,
    Statistics,
    Target,
    TlsVerify,
    Verbose,
    build_args_of,
    command,
    emit,
    limits_of,
    progress_for_tty,
    severities_of,
    severity_of,
)
from finalstage.report import plan


@command()
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
    podman_arg: Annotated[list[str], typer.Option(
        "--podman-arg", metavar="ARG", show_default=False,
        help="Global podman option for --cst command tests, overriding podman's configuration "
             "(repeatable), e.g. --podman-arg=--runtime=runc.")] = [],  # noqa: B006
    baseline: Annotated[str | None, typer.Option(
        "--baseline", metavar="FILE", help="Set aside the findings recorded in FILE.")] = None,
    write_baseline: Annotated[str | None, typer.Option(
        "--write-baseline", metavar="FILE", help="Record the current findings in FILE.")] = None,
    error: AsError = [],  # noqa: B006
    warning: AsWarning = [],  # noqa: B006
    info: AsInfo = [],  # noqa: B006
    style: AsStyle = [],  # noqa: B006
    fail_on: FailOn = None,
    exit_zero: ExitZero = False,
    platform: Platform = None,
    output_format: Formats = [],  # noqa: B006
    output: Outputs = [],  # noqa: B006
    statistics: Statistics = False,
    limit: Limit = [],  # noqa: B006
    tls_verify: TlsVerify = None,
    authfile: AuthFile = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
    no_color: NoColor = False,
    reverify: Reverify = False,
) -> None:
    """Gate IMAGE on a policy and structure tests; with --dockerfile, lint it and tie every
    image finding to the Dockerfile line that made it. Formats: text, json, sarif, junit,
    github, gitlab, checkstyle, html."""
    outputs = plan("check", output_format, output, statistics=statistics)
    report = run_check(
        image, dockerfile=dockerfile, build_args=build_args_of(build_arg), target=target,
        policy=policy, cst=cst, baseline=baseline, write_baseline=write_baseline,
        fail_on=severity_of(fail_on), platform=platform, limits=limits_of(limit),
        severities=severities_of(error=error, warning=warning, info=info, style=style),
        tls_verify=tls_verify, auth_file=authfile, podman_args=podman_arg,
        progress=progress_for_tty(quiet), reverify=reverify)
    emit(report, outputs, no_color=no_color, statistics=statistics, verbose=verbose,
         quiet=quiet)
    raise typer.Exit(0 if exit_zero else report.exit_code)
