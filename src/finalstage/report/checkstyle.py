"""Checkstyle XML, the format Jenkins (warnings-ng), reviewdog, Bitbucket and many CI plugins read.

    <?xml version="1.0" encoding="UTF-8"?>
    <checkstyle version="4.3">
      <file name="Dockerfile">
        <error line="9" column="1" severity="error" message="…" source="FS103"/>
      </file>
    </checkstyle>

The shape is checkstyle's own ``XMLLogger``: one ``<file>`` per file with findings, one
``<error>`` per finding with ``line``, ``column`` (only when known), ``severity`` (``error``,
``warning`` or ``info``: style maps to info, as hadolint's checkstyle format does), ``message``
and ``source`` (the rule code, where checkstyle writes its check's name). A finding without a
Dockerfile line goes under the Dockerfile ``check`` was given, else the image archive, else the
image reference, at line 1. Text from Dockerfiles and images is escaped with escape_control
(XML 1.0 cannot carry most control characters); ElementTree escapes the markup.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import ClassVar

from finalstage.escape import escape_control, one_line
from finalstage.findings import Finding, Report, Severity
from finalstage.report._base import (
    Reporter,
    display_path,
    finding_line,
    image_anchor,
    image_target,
    sorted_findings,
)
from finalstage.report._xml import xml_document

#: the checkstyle version whose XMLLogger output this follows
CHECKSTYLE_VERSION = "4.3"
SEVERITIES = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "info",
    Severity.STYLE: "info",
}


def _message(finding: Finding, image: str) -> str:
    text = finding_line(finding, image, finding.name)
    if finding.fix_hint:
        text += f" — fix: {one_line(finding.fix_hint)}"
    return text


def report_to_checkstyle(report: Report) -> ET.Element:
    """The report as a ``<checkstyle>`` element."""
    image = image_target(report)
    anchor = image_anchor(report, image)
    files: dict[str, list[Finding]] = {}
    for finding in sorted_findings(report):
        file = finding.location.file if finding.location is not None else anchor
        files.setdefault(display_path(file)[0], []).append(finding)
    root = ET.Element("checkstyle", {"version": CHECKSTYLE_VERSION})
    for name, findings in files.items():
        element = ET.SubElement(root, "file", {"name": escape_control(name)})
        for finding in findings:
            loc = finding.location
            attrs = {"line": str(max(loc.line, 1)) if loc is not None else "1"}
            if loc is not None and loc.column > 0:
                attrs["column"] = str(loc.column)
            attrs["severity"] = SEVERITIES[finding.severity]
            attrs["message"] = _message(finding, image)
            attrs["source"] = finding.rule
            ET.SubElement(element, "error", attrs)
    return root


class CheckstyleReporter(Reporter):
    """The report as checkstyle XML (an empty ``<checkstyle>`` when clean)."""

    human_readable: ClassVar[bool] = False

    def render(self, report: Report) -> str:
        """The XML document (UTF-8 declaration, two-space indent), ending in a newline."""
        return xml_document(report_to_checkstyle(report))


__all__ = ["CHECKSTYLE_VERSION", "SEVERITIES", "CheckstyleReporter", "report_to_checkstyle"]
