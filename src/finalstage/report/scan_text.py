"""A fleet scan for people: totals, removable bytes per kind, the ranked fixes, every image,
and what could not be scanned. Everything that came from an image is escaped."""

from __future__ import annotations

from finalstage.escape import escape_control, one_line
from finalstage.report._base import shorten_created_by
from finalstage.scan.model import KIND_HINTS, KIND_LABELS, Fix, FleetReport
from finalstage.units import format_size

MAX_IMAGES = 5


def _line(text: str | None) -> str:
    return escape_control(shorten_created_by(text, 100)) if text else "(unknown instruction)"


def render_totals(fleet: FleetReport) -> list[str]:
    t = fleet.totals
    out = [f"Fleet scan of {one_line(fleet.source)}: {t.images} images, "
           f"{t.unique_layers} unique layers ({t.layer_uses} uses)",
           f"  stored: {format_size(t.unique_bytes)} unique of {format_size(t.unshared_bytes)} "
           f"without sharing (compressed {format_size(t.unique_compressed)} of "
           f"{format_size(t.unshared_compressed)})",
           f"  removable: {format_size(t.removable)} (shared layers counted once)"]
    width = max(len(KIND_LABELS[k.kind]) for k in fleet.removable)
    out += [f"    {KIND_LABELS[k.kind].ljust(width)}  {format_size(k.bytes):>9}"
            for k in fleet.removable if k.bytes]
    return out


def render_fix(rank: int, fix: Fix) -> list[str]:
    what = "waste in layer" if fix.kind == "waste" else "layer"
    count = len(fix.images)
    head = (f"{rank:>2}. {format_size(fix.saving)} across {count} image{'s' * (count != 1)} "
            f"({format_size(fix.bytes)} in {what} {fix.position}, {fix.layer[:19]}…)")
    out = [head, f"    {_line(fix.created_by)}"]
    if fix.hidden_by:
        out.append(f"    hidden later by: {_line(fix.hidden_by)}")
    for k in fix.kinds:
        paths = ", ".join(escape_control(p) for p in k.paths[:3])
        out.append(f"    {k.kind} {format_size(k.bytes)}" + (f": {paths}" if paths else ""))
    shown = ", ".join(escape_control(i) for i in fix.images[:MAX_IMAGES])
    more = f" and {count - MAX_IMAGES} more" if count > MAX_IMAGES else ""
    out.append(f"    images: {shown}{more}")
    out.append(f"    fix: {KIND_HINTS[fix.kinds[0].kind if fix.kinds else fix.kind]}")
    return out


def render_images(fleet: FleetReport) -> list[str]:
    rows = [("IMAGE", "SIZE", "REMOVABLE", "FINDINGS", "VERDICT")]
    for r in fleet.images:
        rows.append((escape_control(r.ref), _size(r.size), _size(r.removable),
                     "-" if r.findings is None else str(r.findings),
                     r.verdict or "error"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return ["  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(row, widths))).rstrip()
            for row in rows]


def _size(n: int | None) -> str:
    return "-" if n is None else format_size(n)


def render_fleet(fleet: FleetReport) -> str:
    """The whole text report."""
    out = render_totals(fleet)
    out += ["", "Top fixes (ranked by bytes saved across the images that share the layer):"]
    for rank, fix in enumerate(fleet.fixes, start=1):
        out += render_fix(rank, fix)
    if not fleet.fixes:
        out.append("  nothing removable found")
    out += ["", "Images:"] + render_images(fleet)
    if fleet.errors:
        out += ["", f"Could not scan {len(fleet.errors)} image(s):"]
        out += [f"  {escape_control(e.ref)}: {one_line(e.message)}" for e in fleet.errors]
    s = fleet.stats
    out += ["", f"{s.layers_cached} layers from the store, {s.layers_read} read "
                f"({format_size(s.bytes_read)}); {s.images_cached} images judged before, "
                f"{s.images_judged} now ({fleet.backend} backend)"]
    return "\n".join(out) + "\n"


__all__ = ["render_fleet"]
