"""``diff`` as text for people: the totals A → B, then what changed by kind, directory, path
and package, and the findings B gained or lost. Names from the images are escaped."""

from __future__ import annotations

from collections.abc import Sequence

from finalstage.escape import escape_control
from finalstage.facts.content import KINDS
from finalstage.facts.diff import DiffResult, PackageChange, rollup
from finalstage.findings import Finding
from finalstage.units import format_size

TOP = 10


def percent(delta: int, before: int) -> str:
    """``+5.1%`` of ``before``; empty when there is nothing to compare with."""
    return f"{100 * delta / before:+.1f}%" if before else ""


def totals_rows(d: DiffResult) -> list[tuple[str, str, str, str]]:
    """(what, A, B, delta) for the sizes, files and layers (shared with markdown and HTML)."""
    a, b = d.a, d.b
    rows = []
    for label, x, y in (("uncompressed", a.uncompressed_size, b.uncompressed_size),
                        ("compressed", a.compressed_size, b.compressed_size),
                        ("filesystem", a.files_size, b.files_size)):
        delta = f"{format_size(y - x, sign=True)} {percent(y - x, x)}".rstrip()
        rows.append((label, format_size(x), format_size(y), delta))
    rows.append(("files", str(a.files), str(b.files), f"{b.files - a.files:+d}"))
    shared = f" ({d.reuse.shared} shared, {d.reuse.skipped} not read)" if d.reuse.shared else ""
    rows.append(("layers", str(a.layers), str(b.layers), f"{b.layers - a.layers:+d}{shared}"))
    return rows


def package_line(c: PackageChange, *, words: bool = False) -> str:
    """``+ pypi requests 2.31.0 (+1.2 MB)``, ``~ deb libc6 2.36-9 → 2.36-9+deb12u4 (…)``;
    with ``words`` the mark is the status (``added pypi requests…``)."""
    mark = c.status if words else {"added": "+", "removed": "-", "changed": "~"}[c.status]
    if c.status == "changed" and c.version_before != c.version_after:
        version = f"{c.version_before} → {c.version_after}"
    else:
        version = c.version_after if c.version_after is not None else (c.version_before or "")
    return (f"{mark} {c.ecosystem} {escape_control(c.name)} {escape_control(version)} "
            f"({format_size(c.delta, sign=True)})")


def finding_line(f: Finding) -> str:
    """``FS201 warning: message (45.7 MB)``."""
    size = f" ({format_size(f.bytes)})" if f.bytes else ""
    return f"{f.rule} {f.severity.value}: {escape_control(f.message)}{size}"


def _table(rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(c.rjust(widths[i]) if i in right else c.ljust(widths[i])
                             for i, c in enumerate(r)).rstrip() for r in rows]


def render_diff_text(d: DiffResult, top: int = TOP) -> str:
    """The whole diff as text."""
    out = [f"A  {escape_control(d.a.reference)}", f"B  {escape_control(d.b.reference)}", ""]
    out += _table([("", "A", "B", "delta"), *totals_rows(d)], {1, 2})
    if d.growth is not None:
        verdict = "exceeded" if d.growth.is_exceeded else "within"
        out.append(f"  growth {format_size(d.growth.delta, sign=True)}: {verdict} the "
                   f"{d.growth.limit} allowed ({format_size(d.growth.allowed)})")
    kinds = [k for k in d.kinds if k.delta]
    if kinds:
        out += ["", "by kind"] + _table(
            [(KINDS.get(k.kind, k.kind), format_size(k.before), format_size(k.after),
              format_size(k.delta, sign=True)) for k in kinds], {1, 2, 3})
    dirs = rollup(d.paths)
    if dirs:
        out += ["", "by directory"] + _table(
            [(escape_control(p), format_size(v, sign=True)) for p, v in dirs[:top]], {1})
    if d.paths:
        out += ["", f"largest changes ({len(d.paths)} paths changed)"] + _table(
            [(escape_control(p.path), p.status, format_size(p.delta, sign=True))
             for p in d.paths[:top]], {2})
    if d.packages:
        out += ["", f"packages ({len(d.packages)} changed)"]
        out += [f"  {package_line(c)}" for c in d.packages[:top]]
        if len(d.packages) > top:
            out.append(f"  … and {len(d.packages) - top} more")
    for title, items in (("new findings", d.new_findings), ("resolved findings",
                                                            d.resolved_findings)):
        if items:
            out += ["", f"{title} ({len(items)})"] + [f"  {finding_line(f)}" for f in items]
    return "\n".join(out) + "\n"


__all__ = ["finding_line", "package_line", "percent", "render_diff_text", "totals_rows"]
