"""`finalstage fix DOCKERFILE`: rewrite a fat final stage into builder + minimal runtime stage.

Prints the new Dockerfile (or writes it with ``--write``/``--output``); what is left to do
(``TODO`` markers, the findings of linting the result) goes to stderr as notes.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from finalstage.api.fix import fix as run_fix
from finalstage.cli._app import app, emit
from finalstage.escape import one_line


@app.command()
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
    output_format: Annotated[str, typer.Option(
        "--format", metavar="FORMAT",
        help="dockerfile (the new file) or json (the report).")] = "dockerfile",
) -> None:
    """Rewrite DOCKERFILE's final stage as a builder plus a minimal runtime stage."""
    target = dockerfile if write else output
    report = run_fix(dockerfile, base=base, output=target)
    if output_format == "json":
        emit(report, "json", None)
    elif target is None:
        emit(report.detail.text, "text", None)  # type: ignore[union-attr]
    for note in report.notes:
        print(f"note: {one_line(note)}", file=sys.stderr)
    for finding in report.findings:
        print(f"note: the rewrite still has {finding.rule} [{finding.severity.value}] "
              f"{one_line(finding.message)}", file=sys.stderr)
