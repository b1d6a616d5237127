"""The contents section of ``inspect``: what the image holds, by category and by package.

``contents_data`` is the JSON-ready dict (snake_case keys, int bytes); ``render_contents_text``
the text tables for people. Both read an ``Analysis`` (and, for findings, the image findings of
the engine) and nothing else. Every path or name that came out of the image goes
through ``escape_control`` on text output; JSON escapes by itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from finalstage.escape import escape_control
from finalstage.findings import Finding
from finalstage.units import format_size

if TYPE_CHECKING:
    from finalstage.analysis.model import Analysis, CategoryStats

TOP = 3


def _dominant_layer(analysis: Analysis, category: str) -> int | None:
    """The layer that added most bytes of ``category`` (the earliest on a tie)."""
    best: tuple[int, int] | None = None
    for layer, cats in analysis.by_layer.items():
        stats = cats.get(category)  # type: ignore[call-overload]
        if stats is None:
            continue
        if best is None or stats.bytes > best[0] or (stats.bytes == best[0] and layer < best[1]):
            best = (stats.bytes, layer)
    return best[1] if best else None


def _category_dict(analysis: Analysis, stats: CategoryStats, top: int) -> dict[str, Any]:
    total = analysis.total_bytes
    return {
        "category": str(stats.category),
        "label": stats.category.label,
        "bytes": stats.bytes,
        "files": stats.files,
        "share": round(stats.bytes / total, 4) if total else 0.0,
        "layer": _dominant_layer(analysis, stats.category),
        "top": [{"path": "/" + path, "bytes": size} for path, size in stats.top[:top]],
        "by_layer": [
            {"layer": layer, "bytes": cats[stats.category].bytes,
             "files": cats[stats.category].files}
            for layer, cats in sorted(analysis.by_layer.items()) if stats.category in cats
        ],
    }


def _categories(analysis: Analysis) -> list[CategoryStats]:
    return sorted(analysis.categories.values(), key=lambda s: (-s.bytes, str(s.category)))


def contents_data(analysis: Analysis, *, top: int = TOP) -> dict[str, Any]:
    """The contents section as a JSON-ready dict: categories (largest first, with their top
    paths, the layer that added most of them and bytes per layer), packages and warnings."""
    return {
        "total_bytes": analysis.total_bytes,
        "total_files": analysis.total_files,
        "categories": [_category_dict(analysis, s, top) for s in _categories(analysis)],
        "packages": [
            {"ecosystem": str(p.ecosystem), "name": p.name, "version": p.version,
             "location": "/" + p.location if p.location else None,
             "installed_size": p.installed_size, "bytes": p.bytes, "is_dev": p.is_dev,
             "layers": list(p.layers)}
            for p in sorted(analysis.packages, key=lambda p: (p.ecosystem, p.name, p.location))
        ],
        "secrets": [{"path": "/" + s.path, "kind": s.kind, "layer": s.layer}
                    for s in analysis.secrets],
        "special_files": [{"path": "/" + s.path, "mode": f"{s.mode & 0o7777:04o}",
                           "kind": s.kind, "layer": s.layer} for s in analysis.special_files],
        "warnings": list(analysis.warnings),
    }


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) if rows else len(header[i])
              for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(widths[i]) if i in right else c.ljust(widths[i])
                 for i, c in enumerate(cells)]
        return "  ".join(parts).rstrip()

    return [line(header)] + [line(r) for r in rows]


def render_contents_text(analysis: Analysis, findings: Sequence[Finding] = (), *,
                         top: int = TOP, packages: bool = False) -> str:
    """Text tables: categories (bytes, files, share, layer, top paths), then the packages
    (with ``packages=True``), the image findings and the analysis warnings."""
    out = ["contents"]
    rows = []
    for stats in _categories(analysis):
        data = _category_dict(analysis, stats, top)
        paths = ", ".join(f"{escape_control(t['path'])} ({format_size(t['bytes'])})"
                          for t in data["top"])
        rows.append([data["label"], format_size(stats.bytes), str(stats.files),
                     f"{100 * data['share']:.1f}%",
                     "-" if data["layer"] is None else str(data["layer"]), paths])
    if rows:
        out += ["  " + line for line in _table(
            ["category", "bytes", "files", "share", "layer", "largest paths"], rows, {1, 2, 3, 4})]
    else:
        out.append("  nothing classified")
    if packages:
        out.append("")
        out.append(f"packages ({len(analysis.packages)})")
        prow = [[str(p.ecosystem), escape_control(p.name), escape_control(p.version),
                 format_size(p.bytes) if p.bytes is not None else "-",
                 "dev" if p.is_dev else "", ",".join(map(str, p.layers)) or "-"]
                for p in sorted(analysis.packages, key=lambda p: (p.ecosystem, p.name))]
        if prow:
            out += ["  " + line for line in _table(
                ["type", "name", "version", "bytes", "dev", "layers"], prow, {3})]
    if findings:
        out.append("")
        out.append(f"findings ({len(findings)})")
        for f in findings:
            size = f" {format_size(f.bytes)}" if f.bytes else ""
            layer = f" layer {f.layer}" if f.layer is not None else ""
            out.append(f"  {f.rule} {f.severity}{size}{layer}: {escape_control(f.message)}")
            if f.paths:
                out.append("      " + ", ".join(escape_control(p) for p in f.paths))
    if analysis.warnings:
        out.append("")
        out.append("warnings")
        out += [f"  {escape_control(w)}" for w in analysis.warnings]
    return "\n".join(out) + "\n"


__all__ = ["contents_data", "render_contents_text"]
