"""A fleet scan as one self-contained HTML page (``scan --format html``): no script, no external
style or font, so it can be attached to a ticket or served as a static file.

Every value that came from an image (references, ``created_by``, paths, error messages) is
escaped with ``html.escape`` after control characters are made visible, so an image cannot add
markup to the page.
"""

from __future__ import annotations

import html
from finalstage.escape import escape_control, one_line
from finalstage.report._base import shorten_created_by
from finalstage.scan.model import KIND_HINTS, KIND_LABELS, Fix, FleetReport
from finalstage.units import format_size

STYLE = ("body{font:14px system-ui,sans-serif;margin:2em;color:#222}"
         "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
         "padding:.3em .6em;text-align:left;vertical-align:top}td.n{text-align:right}"
         "code{font-size:12px}.fail{color:#b00}.warn{color:#a60}.pass{color:#070}")


def _text(value: str | None) -> str:
    return html.escape(one_line(escape_control(value))) if value else "—"


def _size(n: int | None) -> str:
    return "—" if n is None else format_size(n)


def _fix_row(rank: int, fix: Fix) -> str:
    kinds = "<br>".join(f"{html.escape(k.kind)} {format_size(k.bytes)}: "
                        + ", ".join(f"<code>{_text(p)}</code>" for p in k.paths[:3])
                        for k in fix.kinds)
    line = shorten_created_by(fix.created_by, 120) if fix.created_by else None
    hidden = (f"<br>hidden later by <code>{_text(shorten_created_by(fix.hidden_by, 120))}"
              "</code>" if fix.hidden_by else "")
    images = "<br>".join(_text(i) for i in fix.images)
    hint = KIND_HINTS[fix.kinds[0].kind if fix.kinds else fix.kind]
    return (f"<tr><td class=n>{rank}</td><td class=n>{format_size(fix.saving)}</td>"
            f"<td class=n>{len(fix.images)}</td><td class=n>{format_size(fix.bytes)}</td>"
            f"<td>layer {fix.position}<br><code>{_text(line)}</code>{hidden}</td>"
            f"<td>{kinds}<br><i>{html.escape(hint)}</i></td><td>{images}</td></tr>")


def render_fleet_html(fleet: FleetReport) -> str:
    t = fleet.totals
    out = ["<!DOCTYPE html>", "<html><head><meta charset=utf-8>",
           f"<title>Fleet scan: {_text(fleet.source)}</title><style>{STYLE}</style></head><body>",
           f"<h1>Fleet scan: {_text(fleet.source)}</h1>",
           f"<p>{t.images} images, {t.unique_layers} unique layers ({t.layer_uses} uses): "
           f"<b>{format_size(t.unique_bytes)}</b> stored once of "
           f"{format_size(t.unshared_bytes)} without sharing; "
           f"<b>{format_size(t.removable)} removable</b> (shared layers counted once).</p>",
           "<table><tr><th>kind</th><th>removable</th></tr>"]
    out += [f"<tr><td>{html.escape(KIND_LABELS[k.kind])}</td><td class=n>"
            f"{format_size(k.bytes)}</td></tr>" for k in fleet.removable if k.bytes]
    out += ["</table>", "<h2>Top fixes</h2>",
            "<table><tr><th>#</th><th>saving</th><th>images</th><th>bytes</th>"
            "<th>instruction</th><th>what</th><th>images</th></tr>"]
    out += [_fix_row(rank, fix) for rank, fix in enumerate(fleet.fixes, start=1)]
    out += ["</table>", "<h2>Images</h2>", "<table><tr><th>image</th><th>size</th>"
            "<th>removable</th><th>findings</th><th>verdict</th></tr>"]
    for r in fleet.images:
        verdict = r.verdict or "error"
        findings = "—" if r.findings is None else str(r.findings)
        out.append(f"<tr><td><code>{_text(r.ref)}</code></td><td class=n>{_size(r.size)}</td>"
                   f"<td class=n>{_size(r.removable)}</td><td class=n>{findings}</td>"
                   f"<td class={verdict}>{verdict}</td></tr>")
    out.append("</table>")
    if fleet.errors:
        out += ["<h2>Not scanned</h2>", "<ul>"]
        out += [f"<li><code>{_text(e.ref)}</code>: {_text(e.message)}</li>" for e in fleet.errors]
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


__all__ = ["render_fleet_html"]
