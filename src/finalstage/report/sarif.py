"""SARIF 2.1.0 for code-scanning services (GitHub code scanning, Azure DevOps, IDE viewers).

One run; the driver's rules table lists every rule that ran (sorted by code, so ``ruleIndex``
is stable) with its title, its "What it does" paragraph and its full Markdown help. Results
carry the file URI relative to the working directory when possible and a region whose
``endColumn`` is exclusive, as SARIF defines it (Location's is inclusive). Image findings
with no Dockerfile position point at the image reference as their artifact (code scanning
rejects results without a physical location) and name it as a logical location; their bytes,
layer and paths go in the result's property bag.
"""

from __future__ import annotations

import hashlib
from importlib import metadata
import re
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

from finalstage._version import __version__
from finalstage.findings import Finding, Report, RuleInfo, Severity
from finalstage.report._base import (
    Reporter,
    display_path,
    image_target,
    rule_table,
    sorted_findings,
)
from finalstage.report._jsonio import dumps

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_LEVELS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
    Severity.STYLE: "note",
}
_WHAT_IT_DOES = re.compile(r"^##\s*What it does\s*\n(.*?)(?=^##\s|\Z)", re.MULTILINE | re.DOTALL)


def level(severity: Severity) -> str:
    """The SARIF ``level`` of a severity: error, warning, or note for info and style."""
    return _LEVELS[severity]


def artifact_uri(file: str, cwd: Path | None = None) -> str:
    """A file name as a SARIF artifact URI: relative to ``cwd`` when possible, else file://."""
    path, is_relative = display_path(file, cwd)
    return _quote(path) if is_relative else "file://" + _quote(path)


def _quote(text: str, safe: str = "/") -> str:
    """Percent-encode for a URI; undecodable bytes (surrogateescape) become the bytes they were."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that no decoder produced: keep it visible
        raw = text.encode("utf-8", "surrogatepass")
    return quote(raw, safe=safe)


def _describe(info: RuleInfo) -> dict[str, object]:
    match = _WHAT_IT_DOES.search(info.help)
    full = " ".join(match.group(1).split()) if match else ""
    descriptor: dict[str, object] = {
        "id": info.code,
        "name": info.name,
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": full or info.title},
        "defaultConfiguration": {"level": level(info.severity)},
    }
    if info.help.strip():
        descriptor["help"] = {"text": info.help, "markdown": info.help}
    return descriptor


def _location(finding: Finding, image: str) -> dict[str, object]:
    loc = finding.location
    if loc is None:
        target = image
        return {
            # quote() turns "app:1.0" into a relative reference instead of scheme "app".
            "physicalLocation": {"artifactLocation": {"uri": _quote(target)}},
            "logicalLocations": [{"fullyQualifiedName": target, "kind": "resource"}],
        }
    region: dict[str, object] = {"startLine": max(loc.line, 1), "startColumn": max(loc.column, 1)}
    if loc.end_line is not None:
        region["endLine"] = max(loc.end_line, loc.line, 1)
    if loc.end_column is not None:
        region["endColumn"] = max(loc.end_column, 0) + 1  # SARIF: the column after the region
    if finding.source_line:
        region["snippet"] = {"text": finding.source_line}
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(loc.file)},
            "region": region,
        }
    }


def _properties(finding: Finding, image: str) -> dict[str, object]:
    props: dict[str, object] = {"severity": finding.severity.value}
    if finding.location is None:
        props["target"] = image
    for key, value in (
        ("stage", finding.stage),
        ("fix_hint", finding.fix_hint),
        ("bytes", finding.bytes),
        ("layer", finding.layer),
        ("created_by", finding.created_by),
    ):
        if value is not None:
            props[key] = value
    if finding.paths:
        props["paths"] = list(finding.paths)
    return props


def _fingerprint(finding: Finding, image: str) -> str:
    # Code scanning computes fingerprints from file lines; an image finding has none, so give
    # one that survives rebuilds: rule, image and the first path (not sizes or layer numbers).
    first = finding.paths[0] if finding.paths else finding.message
    key = f"{finding.rule}\0{image}\0{first}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def report_to_sarif(report: Report) -> dict[str, object]:
    """The report as a SARIF 2.1.0 log (a JSON-ready dict)."""
    rules = rule_table(report)
    index = {info.code: i for i, info in enumerate(rules)}
    image = image_target(report)
    results = []
    for finding in sorted_findings(report):
        result: dict[str, object] = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": level(finding.severity),
            "message": {"text": finding.message},
            "locations": [_location(finding, image)],
        }
        if finding.location is None:
            result["partialFingerprints"] = {"finalstageImage/v1": _fingerprint(finding, image)}
        result["properties"] = _properties(finding, image)
        results.append(result)
    driver: dict[str, object] = {"name": "finalstage", "version": __version__}
    uri = _information_uri()
    if uri:
        driver["informationUri"] = uri
    driver["rules"] = [_describe(info) for info in rules]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": driver},
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": {
                    "command": report.command,
                    "targets": list(report.targets),
                    "failed": report.is_failed,
                },
            }
        ],
    }


def _information_uri() -> str | None:
    """The project's home page from the installed package metadata, if it declares one."""
    try:
        meta = metadata.metadata("finalstage")
    except metadata.PackageNotFoundError:
        return None
    for entry in meta.get_all("Project-URL") or []:
        _, _, url = entry.partition(",")
        if url.strip().startswith(("https://", "http://")):
            return url.strip()
    home = (meta.get_all("Home-page") or [None])[0]
    return home if home and home.startswith(("https://", "http://")) else None


class SarifReporter(Reporter):
    """The report as a SARIF 2.1.0 log with one run."""

    human_readable: ClassVar[bool] = False

    def render(self, report: Report) -> str:
        """The SARIF log as indented JSON ending in a newline."""
        return dumps(report_to_sarif(report))


__all__ = ["SARIF_SCHEMA", "SarifReporter", "artifact_uri", "level", "report_to_sarif"]
