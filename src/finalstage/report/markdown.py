"""``diff`` as Markdown for a pull-request comment: at most ``MAX_LINES`` lines, the totals and
the top changes first, everything else in a collapsed ``<details>`` block. (A fleet ``scan`` is
written by ``scan_markdown``.)

Every name from an image is escaped for Markdown and HTML (code hosts render inline HTML in
comments): ``<`` ``>`` ``&`` become entities, Markdown punctuation gets a backslash, and control
characters are shown escaped, so a path can neither break the table nor inject markup.
"""

from __future__ import annotations

import re
from typing import ClassVar

from finalstage.errors import UsageError
from finalstage.escape import one_line
from finalstage.facts.content import KINDS
from finalstage.facts.diff import DiffResult, rollup
from finalstage.findings import Report
from finalstage.report._base import Reporter
from finalstage.report.diff_text import finding_line, package_line, percent, totals_rows
from finalstage.report.scan_markdown import render_markdown
from finalstage.scan.model import FleetReport
from finalstage.units import format_size

MAX_LINES = 60
_CUT = "- … cut to fit a comment: `--format json` has everything"
_TOP = 5
_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def md(text: str) -> str:
    """``text`` on one line, safe in Markdown and HTML (a table cell included)."""
    text = "".join(_HTML.get(c, c) for c in one_line(text))
    return _SPECIAL.sub(r"\\\1", text)


class MarkdownReporter(Reporter):
    """A diff as a pull-request comment."""

    human_readable: ClassVar[bool] = True

    def render(self, report: Report) -> str:
        detail = report.detail
        if isinstance(detail, FleetReport):
            return render_markdown(detail)
        if not isinstance(detail, DiffResult):
            raise UsageError(f"markdown output is for diff and scan, not {report.command}")
        head = _head(detail, report)
        details = _details(detail)
        room = MAX_LINES - len(head) - 4  # the <details> lines and a blank line
        if len(details) > room:
            details = details[:room - 1] + [_CUT]
        lines = head + ["", "<details><summary>Details</summary>", ""] + details + \
            ["</details>"]
        return "\n".join(lines) + "\n"


def _head(d: DiffResult, report: Report) -> list[str]:
    delta = d.b.uncompressed_size - d.a.uncompressed_size
    pct = percent(delta, d.a.uncompressed_size)
    title = f"### finalstage diff: {format_size(delta, sign=True)}"
    out = [f"{title}{f' ({pct})' if pct else ''} uncompressed",
           "", f"{md(d.a.reference)} → {md(d.b.reference)}", "",
           "| | A | B | Δ |", "|---|--:|--:|--:|"]
    out += [f"| {label} | {x} | {y} | {md(z)} |" for label, x, y, z in totals_rows(d)]
    for f in report.findings:
        out += ["", f"**{md(f'{f.rule} {f.severity.value}: {f.message}')}**"]
    top = [(md(p), v) for p, v in rollup(d.paths)[:_TOP]]
    if top:
        out += ["", "| top changes | Δ |", "|---|--:|"]
        out += [f"| {p} | {format_size(v, sign=True)} |" for p, v in top]
    counts = f"{len(d.new_findings)} new, {len(d.resolved_findings)} resolved"
    out += ["", f"Findings: {counts}."]
    out += [f"- new: {md(finding_line(f))}" for f in d.new_findings[:3]]
    return out


def _details(d: DiffResult) -> list[str]:
    out: list[str] = []
    kinds = [k for k in d.kinds if k.delta]
    if kinds:
        out += ["| kind | A | B | Δ |", "|---|--:|--:|--:|"]
        out += [f"| {md(KINDS.get(k.kind, k.kind))} | {format_size(k.before)} | "
                f"{format_size(k.after)} | {format_size(k.delta, sign=True)} |" for k in kinds]
        out.append("")
    if d.paths:
        out += [f"Largest changed paths ({len(d.paths)} in all):", ""]
        out += [f"- {md(p.path)} {p.status} {format_size(p.delta, sign=True)}"
                for p in d.paths[:8]]
        out.append("")
    if d.packages:
        out += [f"Packages ({len(d.packages)} changed):", ""]
        out += [f"- {md(package_line(c, words=True))}" for c in d.packages[:8]]
        out.append("")
    out += [f"- resolved: {md(finding_line(f))}" for f in d.resolved_findings[:5]]
    out += [f"- new: {md(finding_line(f))}" for f in d.new_findings[3:8]]
    while out and not out[-1]:
        out.pop()
    return out


__all__ = ["MAX_LINES", "MarkdownReporter", "md"]
