"""GitLab Code Quality (``artifacts:reports:codequality``): a JSON array of Code Climate issues.

    [{"description": "…", "check_name": "FS103", "fingerprint": "…", "severity": "blocker",
      "location": {"path": "Dockerfile", "lines": {"begin": 9, "end": 9}}}]

GitLab reads ``description``, ``check_name``, ``fingerprint``, ``severity`` (``info``, ``minor``,
``major``, ``critical`` or ``blocker``) and ``location.path`` with ``location.lines.begin``; it
validates every entry against its ``codeclimate.json`` schema and keys entries by fingerprint, so
fingerprints are unique within a report and stable across runs (the SARIF fingerprint: the rule,
the stage or layer position, the path or subject and the Dockerfile line — never the image tag).
Severities map as hadolint's ``gitlab_codeclimate`` format does: error → blocker, warning →
major, info → info, style → minor.

GitLab shows an issue only at a file of the repository: an image finding with no Dockerfile line
is placed on line 1 of the Dockerfile ``check`` was given, else of the image archive when it is
a file, else it carries the image reference as its path.
"""

from __future__ import annotations

import hashlib
from typing import ClassVar

from finalstage.findings import Finding, Report, Severity
from finalstage.report._base import (
    Reporter,
    display_path,
    finding_line,
    image_anchor,
    image_target,
    sorted_findings,
)
from finalstage.report._jsonio import dumps
from finalstage.report.sarif import fingerprint

SEVERITIES = {
    Severity.ERROR: "blocker",
    Severity.WARNING: "major",
    Severity.INFO: "info",
    Severity.STYLE: "minor",
}


def _location(finding: Finding, anchor: str) -> dict[str, object]:
    loc = finding.location
    if loc is None:
        return {"path": display_path(anchor)[0], "lines": {"begin": 1, "end": 1}}
    begin = max(loc.line, 1)
    return {"path": display_path(loc.file)[0],
            "lines": {"begin": begin, "end": max(loc.end_line or begin, begin)}}


def report_to_gitlab(report: Report) -> list[dict[str, object]]:
    """The report's findings as Code Quality issues (a JSON-ready list)."""
    image = image_target(report)
    anchor = image_anchor(report, image)
    issues: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for finding in sorted_findings(report):
        key = fingerprint(finding)
        # GitLab keeps one issue per fingerprint: a second finding with the same identity
        # (two equal lines) gets its occurrence number mixed in.
        count = seen.get(key, 0)
        seen[key] = count + 1
        if count:
            key = hashlib.sha256(f"{key}\0{count}".encode()).hexdigest()[:32]
        issue: dict[str, object] = {
            "type": "issue",
            "check_name": finding.rule,
            "description": finding_line(finding, image, f"{finding.rule} {finding.name}"),
            "categories": ["Bug Risk"],
            "severity": SEVERITIES[finding.severity],
            "fingerprint": key,
            "location": _location(finding, anchor),
        }
        if finding.fix_hint:
            issue["content"] = {"body": finding.fix_hint}
        issues.append(issue)
    return issues


class GitlabReporter(Reporter):
    """The report as a GitLab Code Quality JSON array (``[]`` when clean)."""

    human_readable: ClassVar[bool] = False

    def render(self, report: Report) -> str:
        """The array as indented JSON ending in a newline."""
        return dumps(report_to_gitlab(report))


__all__ = ["SEVERITIES", "GitlabReporter", "report_to_gitlab"]
