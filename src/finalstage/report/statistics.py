"""``--statistics``: how many findings each rule raised, instead of the findings (ruff's
``--statistics``). Text is one line per rule, most findings first::

    3  FS301  [warning]  wasted-bytes
    1  FS103  [error]    copy-entire-context

JSON is ``{"schema_version": 1, "command": …, "statistics": [{"code", "name", "severity",
"count"}…], "total": N, "failed": …}``.
"""

from __future__ import annotations

from dataclasses import dataclass

from finalstage.findings import Report, Severity
from finalstage.report._base import sorted_findings
from finalstage.report._jsonio import dumps
from finalstage.report.json import SCHEMA_VERSION


@dataclass(frozen=True)
class RuleCount:
    """The findings of one rule in a report; ``severity`` is the most severe of them."""

    code: str
    name: str
    severity: Severity
    count: int


def rule_counts(report: Report) -> list[RuleCount]:
    """One entry per rule with findings: most findings first, then by code."""
    counts: dict[str, RuleCount] = {}
    for finding in sorted_findings(report):
        known = counts.get(finding.rule)
        if known is None:
            counts[finding.rule] = RuleCount(finding.rule, finding.name, finding.severity, 1)
        else:
            counts[finding.rule] = RuleCount(known.code, known.name,
                                             max(known.severity, finding.severity),
                                             known.count + 1)
    return sorted(counts.values(), key=lambda c: (-c.count, c.code))


def render_statistics(report: Report, fmt: str) -> str:
    """The counts as text or as JSON (``fmt``: ``text`` or ``json``)."""
    counts = rule_counts(report)
    if fmt == "json":
        return dumps({
            "schema_version": SCHEMA_VERSION, "command": report.command,
            "statistics": [{"code": c.code, "name": c.name, "severity": c.severity.value,
                            "count": c.count} for c in counts],
            "total": len(report.findings), "failed": report.is_failed})
    if not counts:
        return ""
    width = len(str(counts[0].count))
    sev_width = max(len(c.severity.value) for c in counts) + 2
    return "".join(f"{c.count:>{width}}  {c.code}  {'[' + c.severity.value + ']':<{sev_width}}"
                   f"  {c.name}\n" for c in counts)


__all__ = ["RuleCount", "render_statistics", "rule_counts"]
