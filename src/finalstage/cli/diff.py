"""`finalstage diff A B`: what changed between two images, for a pull request.

Exit codes: 0, or 1 when ``--fail-on-growth`` is exceeded; 2 on a usage or input error.
"""

from __future__ import annotations

from typing import Annotated

import typer

from finalstage.api.diff import diff as run_diff
from finalstage.cli._app import (
    AuthFile,
    Limit,
    OutputFile,
    Platform,
    TlsVerify,
    app,
    emit,
    limits_of,
    progress_for_tty,
)


@app.command()
def diff(
    a: Annotated[str, typer.Argument(metavar="A", help="The image before (a reference or path).")],
    b: Annotated[str, typer.Argument(metavar="B", help="The image after.")],
    fail_on_growth: Annotated[str | None, typer.Option(
        "--fail-on-growth", metavar="SIZE|PCT", help="Exit 1 when B's uncompressed size grew "
        "by more than SIZE (50MB) or PCT of A's (10%).")] = None,
    output_format: Annotated[str, typer.Option(
        "--format", help="text, json, markdown (a pull-request comment) or html.")] = "text",
    output: OutputFile = None,
    platform: Platform = None,
    cache: Annotated[bool, typer.Option(
        "--cache/--no-cache", help="Reuse verified layer indexes from the cache.")] = True,
    limit: Limit = [],  # noqa: B006 - typer reads the default, never mutates it
    tls_verify: TlsVerify = None,
    authfile: AuthFile = None,
) -> None:
    """Compare image A (before) with image B (after): sizes, kinds of content, paths,
    packages and findings. Layers B shares with A are not read again."""
    report = run_diff(a, b, fail_on_growth=fail_on_growth, platform=platform,
                      limits=limits_of(limit), tls_verify=tls_verify, auth_file=authfile,
                      cache=cache, progress=progress_for_tty())
    emit(report, output_format, output)
    raise typer.Exit(report.exit_code)
