"""``diff`` as stable JSON (docs/json-schema.md): the two sides, the deltas, the layers B did
not read, and the changes by kind, directory, path and package, new and resolved findings.

``directories`` is a complete partition of the changed files (two levels down), so its deltas
add up to ``delta.files_size`` exactly; so do ``kinds``, and ``paths`` plus ``paths_rest``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from finalstage.facts.content import KINDS
from finalstage.facts.diff import DiffResult, PathDelta, rollup
from finalstage.findings import Finding, Report

TOP_PATHS = 50


def diff_json(report: Report, detail: DiffResult,
              finding_json: Any, top: int = TOP_PATHS) -> dict[str, Any]:
    """The diff payload; ``finding_json(finding, report, image=...)`` converts findings (the
    json reporter's own converter, passed in to keep one definition)."""
    a, b = detail.a, detail.b
    shown = detail.paths[:top]
    rest = detail.paths[top:]

    def findings(items: tuple[Finding, ...], image: str) -> list[dict[str, object]]:
        return [finding_json(f, report, image=image) for f in items]

    return {
        "a": asdict(a),
        "b": asdict(b),
        "delta": {
            "files_size": detail.size_delta,
            "uncompressed": b.uncompressed_size - a.uncompressed_size,
            "compressed": b.compressed_size - a.compressed_size,
            "files": b.files - a.files,
            "layers": b.layers - a.layers,
        },
        "layer_reuse": asdict(detail.reuse),
        "kinds": [{"kind": k.kind, "label": KINDS.get(k.kind, k.kind), "before": k.before,
                   "after": k.after, "delta": k.delta} for k in detail.kinds],
        "directories": [{"path": path, "delta": delta} for path, delta in rollup(detail.paths)],
        "paths": [_path(p) for p in shown],
        "paths_rest": {"count": len(rest), "delta": sum(p.delta for p in rest)},
        "packages": [{"ecosystem": c.ecosystem, "name": c.name, "status": c.status,
                      "version_before": c.version_before, "version_after": c.version_after,
                      "bytes_before": c.bytes_before, "bytes_after": c.bytes_after,
                      "delta": c.delta} for c in detail.packages],
        "new_findings": findings(detail.new_findings, b.reference),
        "resolved_findings": findings(detail.resolved_findings, a.reference),
        "growth": asdict(detail.growth) if detail.growth is not None else None,
    }


def _path(p: PathDelta) -> dict[str, Any]:
    return {"path": p.path, "status": p.status, "before": p.before, "after": p.after,
            "delta": p.delta, "kind": p.kind_after or p.kind_before}


__all__ = ["TOP_PATHS", "diff_json"]
