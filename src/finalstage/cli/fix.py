"""`finalstage fix DOCKERFILE`: rewrite a fat final stage into builder + minimal runtime stage.

Prints the new Dockerfile (or writes it with ``--write``/``--output``); what is left to do
(``TODO`` markers, the findings of linting the result) goes to stderr as notes.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from finalstage.api.fix import fix as run_fix
from finalstage.cli._app import command, emit, write as write_text
from finalstage.rewrite.build import build_options
from finalstage.escape import one_line
from finalstage.redact import redact_text
from finalstage.report import Output


@command()
def fix(
    dockerfile: Annotated[str, typer.Argument(metavar="DOCKERFILE", help="The Dockerfile.")],
    base: Annotated[str | None, typer.Option(
        "--base", metavar="IMAGE",
        help="Runtime base of the new final stage (scratch, an internal base, debian:bookworm…)"
             " instead of the SDK → runtime table.")] = None,
    write: Annotated[bool, typer.Option(
        "--write", help="Rewrite DOCKERFILE in place instead of printing it.")] = False,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", metavar="FILE", help="Write the new Dockerfile to FILE.")] = None,
    verify: Annotated[bool, typer.Option(
        "--verify", help="Build both with buildah, check the new image strictly, compare size "
                         "and probe; write nothing when that fails.")] = False,
    probe_cmd: Annotated[str | None, typer.Option(
        "--probe-cmd", metavar="ARGS",
        help="Arguments given to both images' entrypoint as the probe (default --version).")]
        = None,
    probe_http: Annotated[list[str], typer.Option(
        "--probe-http", metavar="PORT/PATH",
        help="Probe: start both images, GET PATH once PORT listens, compare status and body "
             "(repeatable: several paths, one port).")] = [],  # noqa: B006
    build_arg: Annotated[list[str], typer.Option(
        "--build-arg", metavar="KEY=VALUE", help="Build argument for --verify's builds.")]
        = [],  # noqa: B006 - typer reads the default, never mutates it
    build_volume: Annotated[list[str], typer.Option(
        "--build-volume", metavar="HOST:CONTAINER[:ro]",
        help="Volume mounted in RUN steps of --verify's builds (a CA bundle).")] = [],  # noqa: B006
    build_secret: Annotated[list[str], typer.Option(
        "--build-secret", metavar="id=ID,src=PATH",
        help="Build secret for --verify's builds.")] = [],  # noqa: B006
    output_format: Annotated[str, typer.Option(
        "--format", metavar="FORMAT",
        help="dockerfile (the new file) or json (the report).")] = "dockerfile",
) -> None:
    """Rewrite DOCKERFILE's final stage as a builder plus a minimal runtime stage."""
    target = dockerfile if write else output
    report = run_fix(dockerfile, base=base, output=target, verify=verify, probe_cmd=probe_cmd,
                     probe_http=probe_http,
                     build_opts=build_options(build_arg, build_volume, build_secret))
    outcome = report.detail
    if output_format == "json":
        emit(report, [Output("json", None)])
    elif target is None and not outcome.is_failed:  # type: ignore[union-attr]
        write_text(outcome.rewrite.text, None)  # type: ignore[union-attr]
    for note in report.notes:
        lines = [one_line(line) for line in redact_text(note).splitlines()]
        print("\n".join(lines) if len(lines) > 1 else f"note: {lines[0]}", file=sys.stderr)
    for finding in report.findings:
        print(f"note: the rewrite still has {finding.rule} [{finding.severity.value}] "
              f"{one_line(finding.message)}", file=sys.stderr)
    if outcome.is_failed:  # type: ignore[union-attr]
        raise typer.Exit(1)
