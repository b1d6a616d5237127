"""The data an HTML page shows, as one JSON-ready dict built from the ``Report`` alone.

Every string that came from an image or a Dockerfile is escaped (``escape_control``) and was
redacted before the report was made; the page inserts text with ``textContent`` only, so no
value can become markup. Sizes are int bytes: the page formats them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from finalstage._version import __version__
from finalstage.engine.verdicts import CheckDetail
from finalstage.escape import escape_control
from finalstage.facts.content import KINDS, kind_of
from finalstage.facts.diff import DiffResult, rollup
from finalstage.facts.summary import InspectResult, LayerSummary
from finalstage.findings import Finding, Report
from finalstage.redact import redact_text
from finalstage.report._base import image_target, shorten_created_by, sorted_findings
from finalstage.report.html.treemap import PathsSource, TreeSource, build

DIFF_KINDS = {"added": "added in B", "grown": "grown in B", "shrunk": "shrunk in B",
              "removed": "removed from A"}


def _e(text: str | None) -> str | None:
    return escape_control(text) if text is not None else None


def finding_data(f: Finding, target: str) -> dict[str, Any]:
    """One finding: severity, rule, message, where, the bytes it would save, the source."""
    loc = f.location
    return {
        "rule": f.rule, "name": f.name, "severity": f.severity.value,
        "message": _e(f.message), "fix": _e(f.fix_hint),
        "file": _e(loc.file) if loc else _e(target), "line": loc.line if loc else None,
        "source": _e(f.source_line), "bytes": f.bytes, "layer": f.layer,
        "created_by": _e(shorten_created_by(f.created_by)) if f.created_by else None,
        "paths": [_e(p) for p in f.paths[:10]],
    }


def _layers(layers: tuple[LayerSummary, ...], lines: dict[int, tuple[int, str]],
            visible: dict[int, int]) -> list[dict[str, Any]]:
    return [{
        "index": layer.index, "size": layer.size, "compressed": layer.compressed_size,
        "written": layer.content_size, "visible": visible.get(layer.index, 0),
        "wasted": layer.wasted, "added": layer.added, "changed": layer.changed,
        "deleted": layer.deleted, "files": layer.files,
        "created_by": _e(shorten_created_by(layer.created_by, 160)) if layer.created_by else None,
        "line": lines[layer.index][0] if layer.index in lines else None,
        "instruction": _e(lines[layer.index][1]) if layer.index in lines else None,
        "digest": layer.digest,
    } for layer in layers]


def _packages(result: InspectResult) -> list[dict[str, Any]]:
    if result.analysis is None:
        return []
    return [{"ecosystem": str(p.ecosystem), "name": _e(p.name), "version": _e(p.version),
             "bytes": p.bytes, "layers": list(p.layers), "dev": p.is_dev,
             "license": _e(p.license)}
            for p in sorted(result.analysis.packages, key=lambda p: (-(p.bytes or 0), p.name))]


def _image(result: InspectResult, lines: dict[int, tuple[int, str]]) -> dict[str, Any]:
    """The picture of one image: totals, treemap, layers, packages."""
    visible: dict[int, int] = defaultdict(int)
    treemap = None
    if result.merged is not None:
        source = TreeSource(result.merged, kind_of(result.analysis))
        for _, size, _, layer in source.files():
            visible[layer or 0] += size
        treemap = build(source, list(KINDS))
    return {
        "reference": _e(result.reference), "digest": result.digest, "platform": result.platform,
        "size": result.uncompressed_size, "compressed": result.compressed_size,
        "files_size": result.files_size, "files": result.files, "waste": result.waste.bytes,
        "user": _e(result.config.user), "treemap": treemap,
        "layers": _layers(result.layers, lines, visible), "packages": _packages(result),
    }


def _attribution_lines(detail: CheckDetail) -> dict[int, tuple[int, str]]:
    if detail.attribution is None:
        return {}
    return {a.layer: (a.instruction.line, redact_text(a.instruction.original.split("\n")[0]))
            for a in detail.attribution.layers if a.instruction is not None}


def _diff(d: DiffResult) -> dict[str, Any]:
    source = PathsSource((p.path, abs(p.delta), p.status, None) for p in d.paths)
    return {
        "a": {"reference": _e(d.a.reference), "size": d.a.uncompressed_size,
              "compressed": d.a.compressed_size, "files_size": d.a.files_size,
              "files": d.a.files, "layers": d.a.layers},
        "b": {"reference": _e(d.b.reference), "size": d.b.uncompressed_size,
              "compressed": d.b.compressed_size, "files_size": d.b.files_size,
              "files": d.b.files, "layers": d.b.layers},
        "reuse": {"shared": d.reuse.shared, "skipped": d.reuse.skipped, "read": d.reuse.read_b},
        "kinds": [{"kind": k.kind, "label": KINDS.get(k.kind, k.kind), "before": k.before,
                   "after": k.after} for k in d.kinds],
        "directories": [{"path": _e(p), "delta": v} for p, v in rollup(d.paths)[:200]],
        "paths": [{"path": _e(p.path), "status": p.status, "before": p.before,
                   "after": p.after} for p in d.paths[:200]],
        "packages": [{"ecosystem": c.ecosystem, "name": _e(c.name), "status": c.status,
                      "before": _e(c.version_before), "after": _e(c.version_after),
                      "bytes_before": c.bytes_before, "bytes_after": c.bytes_after}
                     for c in d.packages],
        "new_findings": [finding_data(f, d.b.reference) for f in d.new_findings],
        "resolved_findings": [finding_data(f, d.a.reference) for f in d.resolved_findings],
        "treemap": build(source, list(DIFF_KINDS)),
    }


def page_data(report: Report) -> dict[str, Any]:
    """Everything the page shows for an ``inspect``, ``check`` or ``diff`` report."""
    detail = report.detail
    target = image_target(report)
    data: dict[str, Any] = {
        "command": report.command, "version": __version__,
        "targets": [_e(t) for t in report.targets],
        "findings": [finding_data(f, target) for f in sorted_findings(report)],
        "failed": report.is_failed, "kinds": [[k, label] for k, label in KINDS.items()],
    }
    if isinstance(detail, InspectResult):
        data["image"] = _image(detail, {})
    elif isinstance(detail, CheckDetail):
        if detail.summary is not None:
            data["image"] = _image(detail.summary(), _attribution_lines(detail))
        data["verdicts"] = [{"key": v.key, "status": v.status, "detail": _e(v.detail)}
                            for v in detail.verdicts]
        data["tests"] = [{"name": _e(r.name), "status": r.status,
                          "errors": [_e(e) for e in r.errors]} for r in detail.structure_tests]
    elif isinstance(detail, DiffResult):
        data["diff"] = _diff(detail)
        data["kinds"] = [[k, label] for k, label in DIFF_KINDS.items()]
    return data


__all__ = ["DIFF_KINDS", "finding_data", "page_data"]
