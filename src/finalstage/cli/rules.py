"""`finalstage rules [RULE]`: list the rules, or print one rule's documentation."""

from __future__ import annotations

import typer

from finalstage.cli._app import app


@app.command()
def rules(
    rule: str | None = typer.Argument(None, metavar="RULE",
                                         help="A code (FS103) or name (copy-entire-context)."),
    output_format: str = typer.Option("text", "--format", metavar="FORMAT", help="text or json."),
) -> None:
    """List every rule (code, name, severity, title), or print the documentation of RULE."""
    import json
    import sys

    from finalstage.errors import UsageError
    from finalstage.rules import ALL_RULES, get

    if output_format not in ("text", "json"):
        raise UsageError(f"invalid --format {output_format!r}: expected text or json")
    chosen = [get(rule)] if rule else list(ALL_RULES)
    if output_format == "json":
        data = [{"code": r.code, "name": r.name, "severity": r.severity.value,
                 "title": r.title(), "groups": list(r.groups), "status": r.status.value,
                 "since": r.since, "doc": r.doc()} for r in chosen]
        sys.stdout.write(json.dumps(data[0] if rule else data, indent=2) + "\n")
        return
    if rule:
        from finalstage.rules.docs import render_page

        sys.stdout.write(render_page(chosen[0]))
        return
    width = max(len(r.name) for r in chosen)
    for r in chosen:
        sys.stdout.write(f"{r.code}  {r.name:<{width}}  {r.severity.value:<7}  {r.title()}\n")
