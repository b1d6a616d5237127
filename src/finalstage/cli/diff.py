"""`finalstage diff A B`: what changed between two images, for a pull request.

Exit codes: 0, or 1 when ``--fail-on-growth`` is exceeded; 2 on a usage or input error.
"""

from __future__ import annotations

from typing import Annotated

import typer

from finalstage.api.diff import diff as run_diff
from finalstage.cli._app import (
    AuthFile,
    ExitZero,
    Formats,
    Limit,
    NoColor,
    Outputs,
    Platform,
    Quiet,
    TlsVerify,
    command,
    emit,
    limits_of,
    progress_for_tty,
)
from finalstage.report import plan


@command()
def diff(
    a: Annotated[str, typer.Argument(metavar="A", help="The image before (a reference or path).")],
    b: Annotated[str, typer.Argument(metavar="B", help="The image after.")],
    fail_on_growth: Annotated[str | None, typer.Option(
        "--fail-on-growth", metavar="SIZE|PCT", help="Exit 1 when B's uncompressed size grew "
        "by more than SIZE (50MB) or PCT of A's (10%).")] = None,
    exit_zero: ExitZero = False,
    output_format: Formats = [],  # noqa: B006 - typer reads the default, never mutates it
    output: Outputs = [],  # noqa: B006
    platform: Platform = None,
    cache: Annotated[bool, typer.Option(
        "--cache/--no-cache", help="Reuse verified layer indexes from the cache.")] = True,
    limit: Limit = [],  # noqa: B006 - typer reads the default, never mutates it
    tls_verify: TlsVerify = None,
    authfile: AuthFile = None,
    quiet: Quiet = False,
    no_color: NoColor = False,
) -> None:
    """Compare image A (before) with image B (after): sizes, kinds of content, paths,
    packages and findings. Layers B shares with A are not read again. Formats: text, json,
    markdown (a pull-request comment), html."""
    outputs = plan("diff", output_format, output)
    report = run_diff(a, b, fail_on_growth=fail_on_growth, platform=platform,
                      limits=limits_of(limit), tls_verify=tls_verify, auth_file=authfile,
                      cache=cache, progress=progress_for_tty(quiet))
    emit(report, outputs, no_color=no_color)
    raise typer.Exit(0 if exit_zero else report.exit_code)
