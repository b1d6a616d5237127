"""`finalstage rules [RULE]`: list every check, or print one rule's documentation."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from finalstage.cli._app import app
from finalstage.errors import UsageError
from finalstage.rules import ALL_RULES, get
from finalstage.rules.docs import render_page


@app.command()
def rules(
    rule: Annotated[str | None, typer.Argument(
        metavar="RULE", help="A code (FS103), name (copy-entire-context) or retired alias "
        "(FS908).")] = None,
    output_format: Annotated[str, typer.Option(
        "--format", metavar="FORMAT", help="text or json.")] = "text",
) -> None:
    """List every rule (code, name, severity, what it needs, title) — Dockerfile rules, image
    rules and policy budgets alike — or print the documentation of RULE."""
    if output_format not in ("text", "json"):
        raise UsageError(f"invalid --format {output_format!r}: expected text or json")
    chosen = [get(rule)] if rule else list(ALL_RULES)
    if output_format == "json":
        data = [{"code": r.code, "name": r.name, "severity": r.severity.value,
                 "title": r.title(), "groups": list(r.groups), "needs": r.needs.value,
                 "aliases": list(r.aliases), "status": r.status.value, "since": r.since,
                 "doc": r.doc()} for r in chosen]
        sys.stdout.write(json.dumps(data[0] if rule else data, indent=2) + "\n")
        return
    if rule:
        sys.stdout.write(render_page(chosen[0]))
        return
    width = max(len(r.name) for r in chosen)
    for r in chosen:
        sys.stdout.write(f"{r.code}  {r.name:<{width}}  {r.severity.value:<7}  "
                         f"{r.needs.value:<19}  {r.title()}\n")
