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
import re
from importlib import metadata
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

from finalstage._version import __version__
from finalstage.findings import Finding, Report, RuleInfo, Severity
from finalstage.report._base import (
    Reporter,
    check_dockerfile,
    display_path,
    image_path,
    image_target,
    rule_table,
    sorted_findings,
)
from finalstage.engine.baseline import message_key
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


def _describe(info: RuleInfo, docs: str | None) -> dict[str, object]:
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
        if docs:  # the page scripts/gen_rule_docs.py writes for every registered rule
            descriptor["helpUri"] = f"{docs.rstrip('/')}/rules/{quote(info.name)}.md"
    return descriptor


SRCROOT = "%SRCROOT%"


def _artifact(file: str) -> dict[str, object]:
    """An artifact location: relative to the repository root (``%SRCROOT%``) when it is inside
    it, else an absolute ``file://`` URI with no base id."""
    uri = artifact_uri(file)
    return {"uri": uri} if uri.startswith("file://") else {"uri": uri, "uriBaseId": SRCROOT}


def _region(finding: Finding) -> dict[str, object]:
    """The finding's lines and columns; ``endColumn`` always (exclusive, as SARIF defines it)."""
    loc = finding.location
    assert loc is not None
    start_line, start_col = max(loc.line, 1), max(loc.column, 1)
    end_line = max(loc.end_line or loc.line, start_line)
    region: dict[str, object] = {"startLine": start_line, "startColumn": start_col,
                                 "endLine": end_line}
    if loc.end_column is not None:
        end_col = max(loc.end_column, 0) + 1
    else:  # the whole last line of the source the finding shows
        text = (finding.source_line or "").split("\n")
        last = text[min(end_line - start_line, len(text) - 1)] if text else ""
        end_col = len(last.rstrip("\r")) + 1
    region["endColumn"] = max(end_col, start_col + 1) if end_line == start_line else end_col
    if finding.source_line:
        region["snippet"] = {"text": finding.source_line}
    return region


def _logical(finding: Finding, image: str) -> list[dict[str, object]]:
    """Where an image finding is in the image: the image, its layer, the path."""
    out: list[dict[str, object]] = [{"name": image, "kind": "module"}]
    layer = f"layer {finding.layer}" if finding.layer is not None else None
    if layer is not None:
        out.append({"name": layer, "fullyQualifiedName": f"{image}//{layer}",
                    "kind": "namespace"})
    if finding.paths:
        where = f"{image}//{layer or 'image'}{finding.paths[0]}"
        out.append({"name": finding.paths[0], "fullyQualifiedName": where, "kind": "resource"})
    return out


def _location(finding: Finding, image: str, dockerfile: str | None) -> dict[str, object]:
    if finding.location is not None:
        located: dict[str, object] = {"physicalLocation": {
            "artifactLocation": _artifact(finding.location.file), "region": _region(finding)}}
        if finding.layer is not None:  # an image finding tied to the line that made its layer
            located["logicalLocations"] = _logical(finding, image)
        return located
    out: dict[str, object] = {"logicalLocations": _logical(finding, image)}
    # Code scanning shows a result only at a file of the repository: the Dockerfile that made
    # the image, else the image archive itself when it is a file there.
    anchor = dockerfile or image_path(image)
    if anchor is not None:
        physical: dict[str, object] = {"artifactLocation": _artifact(anchor)}
        if dockerfile is not None:
            physical["region"] = {"startLine": 1, "startColumn": 1, "endLine": 1,
                                  "endColumn": 2}
        out["physicalLocation"] = physical
    return out


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
    if finding.also:
        props["also"] = list(finding.also)
    return props


def fingerprint(finding: Finding) -> str:
    """A result's identity across runs: the rule, where in the build it is (the stage, else the
    layer position), what it is about (the first path, else its subjects, else its message with
    numbers removed) and its Dockerfile file and line — never the image reference, tag or
    digest, so a new tag of the same bad image matches the old alerts."""
    loc = finding.location
    where = f"{display_path(loc.file)[0]}:{loc.line}" if loc is not None else ""
    position = finding.stage if finding.stage is not None else f"layer:{finding.layer}"
    about = finding.paths[0] if finding.paths else ",".join(finding.subjects) or \
        message_key(finding.message)
    key = "\0".join((finding.rule, position, about, where))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def report_to_sarif(report: Report) -> dict[str, object]:
    """The report as a SARIF 2.1.0 log (a JSON-ready dict)."""
    rules = rule_table(report)
    index = {info.code: i for i, info in enumerate(rules)}
    image = image_target(report)
    dockerfile = check_dockerfile(report, image)
    results = []
    for finding in sorted_findings(report):
        results.append({
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": level(finding.severity),
            "message": {"text": finding.message},
            "locations": [_location(finding, image, dockerfile)],
            "partialFingerprints": {"finalstage/v1": fingerprint(finding)},
            "properties": _properties(finding, image),
        })
    driver: dict[str, object] = {"name": "finalstage", "version": __version__}
    uri = _information_uri()
    if uri:
        driver["informationUri"] = uri
    docs = _documentation_uri()
    driver["rules"] = [_describe(info, docs) for info in rules]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": driver},
                "columnKind": "unicodeCodePoints",
                # No absolute URI: the root is wherever the log is read (the checkout, in CI).
                "originalUriBaseIds": {SRCROOT: {"description": {
                    "text": "The repository root: the working directory of the run."}}},
                "results": results,
                "properties": {
                    "command": report.command,
                    "targets": list(report.targets),
                    "failed": report.is_failed,
                },
            }
        ],
    }


def _project_urls() -> dict[str, str]:
    """The ``Project-URL`` entries of the installed package (label, lower-case → URL)."""
    try:
        meta = metadata.metadata("finalstage")
    except metadata.PackageNotFoundError:
        return {}
    urls: dict[str, str] = {}
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if url.strip().startswith(("https://", "http://")):
            urls.setdefault(label.strip().lower(), url.strip())
    return urls


def _information_uri() -> str | None:
    """The project's home page from the installed package metadata, if it declares one."""
    urls = _project_urls()
    return urls.get("homepage") or next(iter(urls.values()), None)


def _documentation_uri() -> str | None:
    """Where the project's documentation (``docs/``) is published, if the metadata says."""
    return _project_urls().get("documentation")


class SarifReporter(Reporter):
    """The report as a SARIF 2.1.0 log with one run."""

    human_readable: ClassVar[bool] = False

    def render(self, report: Report) -> str:
        """The SARIF log as indented JSON ending in a newline."""
        return dumps(report_to_sarif(report))


__all__ = ["SARIF_SCHEMA", "SRCROOT", "SarifReporter", "artifact_uri", "fingerprint", "level",
           "report_to_sarif"]
