"""`finalstage rules [RULE]`: list every check, or print one rule's documentation."""

from __future__ import annotations

from typing import Annotated

import typer

from finalstage.api.rules import rules as run_rules
from finalstage.cli._app import Formats, Outputs, command, emit
from finalstage.report import plan


@command()
def rules(
    rule: Annotated[str | None, typer.Argument(
        metavar="RULE", help="A code (FS103), name (copy-entire-context) or retired alias "
        "(FS908).")] = None,
    output_format: Formats = [],  # noqa: B006 - typer reads the default, never mutates it
    output: Outputs = [],  # noqa: B006
) -> None:
    """List every rule (code, name, severity, what it needs, title) — Dockerfile rules, image
    rules and policy budgets alike — or print the documentation of RULE. Formats: text, json."""
    outputs = plan("rules", output_format, output)
    emit(run_rules(rule), outputs)
