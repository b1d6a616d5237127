"""GitHub Actions workflow commands: one annotation per finding on the pull request's diff.

    ::error file=Dockerfile,line=4,col=1,endLine=4,endColumn=8,title=FS103 copy-entire-context::…

error and warning map to themselves, info and style to ``notice``. Escaping follows the
runner's own rules (actions/toolkit ``command.ts``): in the message ``%``, CR and LF become
``%25``, ``%0D``, ``%0A``; property values also escape ``:`` and ``,``. Untrusted text is
passed through escape_control first, so an image path cannot end the command early, start a
new one, or write terminal escapes into the log.
"""

from __future__ import annotations

from typing import ClassVar

from finalstage.findings import Finding, Report, Severity
from finalstage.report._base import (
    Reporter,
    display_path,
    image_facts,
    image_target,
    sorted_findings,
    target_of,
)
from finalstage.escape import escape_control, one_line

MAX_PATHS = 5
_COMMANDS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "notice",
    Severity.STYLE: "notice",
}


def escape_data(text: str) -> str:
    """Escape a workflow command's message (after ``::``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command property value (``file=…``, ``title=…``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _message(finding: Finding, report: Report, image: str) -> str:
    """The annotation body: message, image details and fix on separate lines."""
    lines = [one_line(finding.message)]
    if finding.location is None:
        lines[0] = f"{escape_control(target_of(finding, report, image=image))}: {lines[0]}"
    facts = image_facts(finding)
    if facts:
        lines.append(facts)
    lines.extend(escape_control(path) for path in finding.paths[:MAX_PATHS])
    if len(finding.paths) > MAX_PATHS:
        lines.append(f"… and {len(finding.paths) - MAX_PATHS} more")
    if finding.fix_hint:
        lines.append(f"fix: {one_line(finding.fix_hint)}")
    return "\n".join(lines)


def annotation(finding: Finding, report: Report, *, image: str | None = None) -> str:
    """One finding as one workflow command line (``image``: image_target(report), precomputed)."""
    if image is None:
        image = image_target(report)
    props = []
    loc = finding.location
    if loc is not None:
        props.append(("file", escape_control(display_path(loc.file)[0])))
        props.append(("line", str(loc.line)))
        props.append(("col", str(loc.column)))
        if loc.end_line is not None:
            props.append(("endLine", str(loc.end_line)))
        if loc.end_column is not None and loc.end_line in (None, loc.line):
            props.append(("endColumn", str(loc.end_column)))
    props.append(("title", f"{finding.rule} {escape_control(finding.name)}"))
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    command = _COMMANDS[finding.severity]
    return f"::{command} {rendered}::{escape_data(_message(finding, report, image))}"


class GithubReporter(Reporter):
    """One ``::error``/``::warning``/``::notice`` line per finding; nothing when clean."""

    human_readable: ClassVar[bool] = False

    def render(self, report: Report) -> str:
        """The workflow commands, one per line (empty string for no findings)."""
        image = image_target(report)
        lines = [annotation(f, report, image=image) for f in sorted_findings(report)]
        return "".join(line + "\n" for line in lines)


__all__ = ["GithubReporter", "annotation", "escape_data", "escape_property"]
