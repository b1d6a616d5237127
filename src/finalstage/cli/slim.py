"""`finalstage slim SOURCE -o DEST`: shrink an image to what its entrypoint needs, explain every
kept file, and prove the result by running both images with the same probe.

Exit codes: 0 slimmed (and verified, when verification ran), 1 the verification or the strict
check failed (the image is written all the same, for inspection), 2 a usage or input error
(no entrypoint, a probe that fails on the source itself, podman missing with --verify, an
unwritable destination), printed as one line by ``cli.main``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from finalstage.api.slim import slim as run_slim
from finalstage.cli._app import (
    AuthFile,
    ImageArg,
    Limit,
    Platform,
    TlsVerify,
    Verbose,
    command,
    emit,
    limits_of,
    progress_for_tty,
)
from finalstage.report import plan

Globs = Annotated[list[str], typer.Option(metavar="GLOB")]


def _log_for_tty() -> object:
    if not sys.stderr.isatty():
        return None

    def log(message: str) -> None:
        sys.stderr.write(f"finalstage slim: {message}…\n")
        sys.stderr.flush()

    return log


@command()
def slim(
    image: ImageArg,
    output: Annotated[str | None, typer.Option(
        "-o", "--output", metavar="DEST", help="The slim image: oci:DIR[:REF], "
        "oci-archive:FILE[:REF], docker-archive:FILE[:TAG] or containers-storage:NAME.")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Only say what would be kept and removed (bytes by category).")] = False,
    include: Annotated[list[str], typer.Option(
        "--include", metavar="GLOB", help="Keep paths matching GLOB too (repeatable; ** "
        "crosses directories).")] = [],  # noqa: B006 - typer reads the default, never mutates it
    exclude: Annotated[list[str], typer.Option(
        "--exclude", metavar="GLOB", help="Never keep paths matching GLOB (repeatable).")] = [],  # noqa: B006
    keep_shell: Annotated[bool, typer.Option(
        "--keep-shell", help="Keep /bin/sh and what it needs (HEALTHCHECK or tooling that "
        "runs sh -c).")] = False,
    probe_cmd: Annotated[str | None, typer.Option(
        "--probe-cmd", metavar="ARGS", help="Probe: run both images with these arguments "
        "(appended to ENTRYPOINT, e.g. -selftest) and compare exit code and output.")] = None,
    probe_http: Annotated[list[str], typer.Option(
        "--probe-http", metavar="PORT/PATH", help="Probe: start both images, GET PATH once "
        "PORT listens, compare status and body (repeatable: several paths, one port).")] = [],  # noqa: B006
    verify: Annotated[bool | None, typer.Option(
        "--verify/--no-verify", show_default=False, help="Run the probe on both images and "
        "trace the source's run (default: yes when podman is installed).")] = None,
    learn: Annotated[bool, typer.Option(
        "--learn", help="Add the paths the source's probe run read that the slim image "
        "lacks, and slim again.")] = False,
    explain: Annotated[list[str], typer.Option(
        "--explain", metavar="PATH", help="Why PATH was kept, or why it was dropped "
        "(repeatable).")] = [],  # noqa: B006
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    report: Annotated[str | None, typer.Option(
        "--report", metavar="FILE", help="Write the report to FILE instead of stdout.")] = None,
    verbose: Verbose = False,
    platform: Platform = None,
    limit: Limit = [],  # noqa: B006
    tls_verify: TlsVerify = None,
    authfile: AuthFile = None,
) -> None:
    """Shrink IMAGE to what its entrypoint needs and write it to DEST, with the reason each
    file was kept; verify it by running both images with the same probe."""
    outputs = plan("slim", [output_format], [report] if report else [])
    result = run_slim(
        image, output, dry_run=dry_run, include=include, exclude=exclude,
        keep_shell=keep_shell, probe_cmd=probe_cmd, probe_http=probe_http or None,
        verify=verify, learn=learn, explain=explain, platform=platform, limits=limits_of(limit),
        tls_verify=tls_verify, auth_file=authfile, progress=progress_for_tty(),
        log=_log_for_tty())  # type: ignore[arg-type]
    emit(result, outputs, verbose=verbose)
    detail = result.detail
    raise typer.Exit(1 if getattr(detail, "is_failed", False) else 0)
