"""Markdown for a fleet scan: a PR comment or a wiki page (``scan --format markdown``).

Tables escape ``|`` and control characters; every value that came from an image is shown as
code, so Markdown in a ``created_by`` cannot format the page.
"""

from __future__ import annotations

from finalstage.escape import escape_control, one_line
from finalstage.report._base import shorten_created_by
from finalstage.scan.model import KIND_LABELS, FleetReport
from finalstage.units import format_size


def _code(text: str | None) -> str:
    if not text:
        return "—"
    clean = one_line(escape_control(text)).replace("|", "\\|").replace("`", "'")
    return f"`{clean}`"


def render_markdown(fleet: FleetReport) -> str:
    t = fleet.totals
    out = [f"## Fleet scan: {one_line(fleet.source)}", "",
           f"{t.images} images, {t.unique_layers} unique layers: "
           f"**{format_size(t.unique_bytes)}** stored once of {format_size(t.unshared_bytes)} "
           f"without sharing; **{format_size(t.removable)} removable** (shared layers once).",
           "", "| kind | removable |", "| --- | ---: |"]
    out += [f"| {KIND_LABELS[k.kind]} | {format_size(k.bytes)} |" for k in fleet.removable
            if k.bytes]
    out += ["", "### Top fixes", "",
            "| # | saving | images | bytes | layer | instruction | what |",
            "| ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for rank, fix in enumerate(fleet.fixes, start=1):
        what = ", ".join(f"{k.kind} {format_size(k.bytes)}" for k in fix.kinds)
        line = shorten_created_by(fix.created_by, 80) if fix.created_by else None
        out.append(f"| {rank} | {format_size(fix.saving)} | {len(fix.images)} | "
                   f"{format_size(fix.bytes)} | {fix.position} | {_code(line)} | {what} |")
    out += ["", "### Images", "", "| image | size | removable | findings | verdict |",
            "| --- | ---: | ---: | ---: | --- |"]
    for r in fleet.images:
        size = format_size(r.size) if r.size is not None else "—"
        removable = format_size(r.removable) if r.removable is not None else "—"
        findings = str(r.findings) if r.findings is not None else "—"
        out.append(f"| {_code(r.ref)} | {size} | {removable} | {findings} | "
                   f"{r.verdict or 'error'} |")
    if fleet.errors:
        out += ["", "### Not scanned", ""]
        out += [f"- {_code(e.ref)}: {_code(e.message)}" for e in fleet.errors]
    return "\n".join(out) + "\n"


__all__ = ["render_markdown"]
