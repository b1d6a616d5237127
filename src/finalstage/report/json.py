"""Stable JSON for programs (documented in docs/json-schema.md; ``schema_version`` 1).

Keys are snake_case and always present (null when unknown), findings are sorted, and the
command's own payload (``Report.data``) is merged at the top level. Values are the findings'
own, not escaped for a terminal: JSON escaping already keeps control characters out of the
text (see _jsonio).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from finalstage.findings import Finding, Report
from finalstage.report._base import (
    Reporter,
    count_by_severity,
    image_target,
    sorted_findings,
    target_of,
)
from finalstage.report._jsonio import dumps
from finalstage.report.detail_json import detail_json

SCHEMA_VERSION = 1
#: JSON Schema (2020-12) of this output, shipped with the package.
SCHEMA_PATH = Path(__file__).parent / "schemas" / "findings-v1.schema.json"
_RESERVED = frozenset(
    {"schema_version", "command", "targets", "findings", "suppressed", "summary", "failed",
     "fail_on", "notes"}
)


def finding_to_dict(
    finding: Finding, report: Report, *, image: str | None = None
) -> dict[str, object]:
    """One finding as the JSON object documented in docs/json-schema.md.

    ``image`` is image_target(report), worth precomputing when converting many findings.
    """
    loc = finding.location
    return {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity.value,
        "message": finding.message,
        "fix_hint": finding.fix_hint,
        "target": target_of(finding, report, image=image),
        "file": loc.file if loc else None,
        "line": loc.line if loc else None,
        "column": loc.column if loc else None,
        "end_line": loc.end_line if loc else None,
        "end_column": loc.end_column if loc else None,
        "stage": finding.stage,
        "source_line": finding.source_line,
        "bytes": finding.bytes,
        "layer": finding.layer,
        "created_by": finding.created_by,
        "paths": list(finding.paths),
        "also": list(finding.also),
        "subjects": list(finding.subjects),
    }


def report_to_dict(report: Report) -> dict[str, object]:
    """The whole report as a JSON-ready dict (the json reporter's document)."""
    counts = count_by_severity(report.findings)
    image = image_target(report)
    document: dict[str, object] = {
        "schema_version": SCHEMA_VERSION,
        "command": report.command,
        "targets": list(report.targets),
        "findings": [finding_to_dict(f, report, image=image) for f in sorted_findings(report)],
        "summary": {**{sev.value: n for sev, n in counts.items()}, "total": len(report.findings)},
        "failed": report.is_failed,
        "fail_on": report.fail_on.value,
        "suppressed": [finding_to_dict(f, report, image=image) for f in report.suppressed],
        "notes": list(report.notes),
    }
    payload = {**detail_json(report, finding_to_dict), **report.data}
    clash = _RESERVED.intersection(payload)
    if clash:
        raise ValueError(f"report data uses reserved json keys: {', '.join(sorted(clash))}")
    document.update(payload)
    return document


class JsonReporter(Reporter):
    """The report as one indented JSON object."""

    human_readable: ClassVar[bool] = False

    def render(self, report: Report) -> str:
        """The JSON document, indented by two spaces, ending in a newline."""
        return dumps(report_to_dict(report))


__all__ = ["SCHEMA_PATH", "SCHEMA_VERSION", "JsonReporter", "finding_to_dict", "report_to_dict"]
