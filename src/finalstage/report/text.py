"""Text for people, in the style of ruff and hadolint.

    Dockerfile:4:1: FS103 [error] the whole build context is copied into the final stage
      |
    4 | COPY . .
      | ^^^^^^^^
      fix: copy only the build output from a builder stage

Image findings have no file position; they show the bytes involved, the layer and the
instruction that created it, and up to five paths. Everything that came from a Dockerfile or an
image is escaped. Colour is plain ANSI SGR (no rich import: start-up time matters) and only
when asked for.
"""

from __future__ import annotations

from typing import ClassVar

from finalstage.engine.verdicts import CheckDetail
from finalstage.escape import escape_control, one_line
from finalstage.facts.listing import Listing
from finalstage.facts.summary import InspectResult
from finalstage.findings import Finding, Report, Severity
from finalstage.rules.docs import RuleCatalog
from finalstage.report._base import (
    Reporter,
    count_by_severity,
    image_target,
    shorten_created_by,
    sorted_findings,
    target_of,
)
from finalstage.report.catalog import render_catalog
from finalstage.report.check_text import render_skipped, render_suppressed, render_verdicts
from finalstage.report.inspect_text import render_text as render_inspect
from finalstage.report.listing import render_listing
from finalstage.units import format_size

MAX_PATHS = 5
MAX_SOURCE_LINES = 5
_TAB = 8

_RESET = "\x1b[0m"
_BOLD = "1"
_DIM = "2"
_SEVERITY_STYLE = {
    Severity.ERROR: "1;31",
    Severity.WARNING: "1;33",
    Severity.INFO: "1;36",
    Severity.STYLE: "2",
}
# Nouns for the summary; "info" and "style" read better without a plural.
_NOUNS = {
    Severity.ERROR: ("error", "errors"),
    Severity.WARNING: ("warning", "warnings"),
    Severity.INFO: ("info", "info"),
    Severity.STYLE: ("style", "style"),
}


class TextReporter(Reporter):
    """Findings for a terminal or a log, one block per finding, then a summary line."""

    human_readable: ClassVar[bool] = True

    def __init__(self, *, color: bool = False, verbose: bool = False, quiet: bool = False,
                 packages: bool = False, is_long: bool = False) -> None:
        self.color = color
        self.verbose = verbose
        self.quiet = quiet          # the findings only: no summary, verdicts or sections
        self.packages = packages    # inspect: list the packages
        self.is_long = is_long      # ls: mode, owner, size, mtime and layer

    def _style(self, text: str, sgr: str) -> str:
        return f"\x1b[{sgr}m{text}{_RESET}" if self.color and text else text

    def render(self, report: Report) -> str:
        """The command's own view (inspect's summary, ls's listing, the rules), or every finding
        (sorted, a blank line between them) and the summary line; check adds its verdicts.
        ``quiet`` keeps the findings alone."""
        detail = report.detail
        if isinstance(detail, InspectResult):
            return render_inspect(detail, report.findings, packages=self.packages)
        if isinstance(detail, Listing):
            return render_listing(detail, is_long=self.is_long)
        if isinstance(detail, RuleCatalog):
            return render_catalog(detail)
        if (own := self._other_detail(report)) is not None:
            return own
        image = image_target(report)
        blocks = ["\n".join(self._finding(f, image)) for f in sorted_findings(report)]
        if self.quiet:
            return "\n\n".join(blocks) + "\n" if blocks else ""
        blocks.append(self._summary(report))
        text = "\n\n".join(blocks) + "\n"
        if isinstance(detail, CheckDetail):
            text += render_verdicts(report, detail)
        text += render_suppressed(report.suppressed)
        text += "".join(f"note: {one_line(note)}\n" for note in report.notes)
        if self.verbose:
            text += render_skipped(report.outcomes)
        return text

    def _other_detail(self, report: Report) -> str | None:
        """diff's, slim's and scan's views, by the payload's type name: their models and
        renderers load only when one of them is shown (inspect and check never pay for them)."""
        detail, kind = report.detail, type(report.detail).__name__
        if kind == "DiffResult":
            # heavy optional dependency: a model and renderer only this command shows
            from finalstage.report.diff_text import render_diff_text  # noqa: PLC0415

            blocks = ["\n".join(self._finding(f, detail.b.reference))  # type: ignore[union-attr]
                      for f in sorted_findings(report)]
            text = render_diff_text(detail)  # type: ignore[arg-type]
            return text + "".join(f"\n{b}\n" for b in blocks)
        if kind == "SlimResult":
            # heavy optional dependency: a model and renderer only this command shows
            from finalstage.report.slim_text import render_slim  # noqa: PLC0415

            return render_slim(detail, verbose=self.verbose)  # type: ignore[arg-type]
        if kind == "FleetReport":
            # heavy optional dependency: a model and renderer only this command shows
            from finalstage.report.scan_text import render_fleet  # noqa: PLC0415

            return render_fleet(detail)  # type: ignore[arg-type]
        return None

    def _finding(self, finding: Finding, image: str) -> list[str]:
        loc = finding.location
        if loc is not None:
            where = f"{escape_control(loc.file)}:{loc.line}:{loc.column}"
        else:
            where = escape_control(image)
        severity = self._style(f"[{finding.severity.value}]", _SEVERITY_STYLE[finding.severity])
        head = f"{self._style(where + ':', _BOLD)} {self._style(finding.rule, _BOLD)}"
        lines = [f"{head} {severity} {one_line(finding.message)}"]
        if finding.source_line:
            lines.extend(self._source(finding))
        lines.extend(self._image_details(finding))
        if finding.fix_hint:
            lines.append(f"  {self._style('fix:', _BOLD)} {one_line(finding.fix_hint)}")
        return lines

    def _source(self, finding: Finding) -> list[str]:
        """The offending source with a caret marker under the finding's columns (ruff style)."""
        assert finding.source_line is not None
        source = [s.rstrip("\r") for s in finding.source_line.split("\n")]
        while source and not source[-1].strip():
            source.pop()
        if not source:
            return []
        loc = finding.location
        first = loc.line if loc is not None else None
        shown = source[:MAX_SOURCE_LINES]
        numbers = [str(first + i) if first is not None else "" for i in range(len(shown))]
        width = max(len(n) for n in numbers)
        gutter = self._style(" " * width + " |", _DIM)
        out = [gutter]
        for i, (number, text) in enumerate(zip(numbers, shown, strict=True)):
            rendered = escape_control(text).expandtabs(_TAB)
            out.append(f"{self._style(number.rjust(width) + ' |', _DIM)} {rendered}".rstrip())
            if i == 0 and loc is not None:  # the columns are those of the first line
                out.append(f"{gutter} {self._marker(text, finding)}")
        if len(source) > MAX_SOURCE_LINES:
            out.append(f"{gutter} … {len(source) - MAX_SOURCE_LINES} more lines")
        return out

    def _marker(self, text: str, finding: Finding) -> str:
        loc = finding.location
        assert loc is not None
        start = max(loc.column, 1) - 1
        if loc.end_column is not None and loc.end_line in (None, loc.line):
            end = max(loc.end_column, start + 1)
        else:
            end = max(len(text.rstrip()), start + 1)
        # Measure on the escaped, tab-expanded text so the carets sit under what is printed.
        before = escape_control(text[:start])
        through = before + escape_control(text[start:end])
        pad = len(before.expandtabs(_TAB))
        carets = max(len(through.expandtabs(_TAB)) - pad, 1)
        return " " * pad + self._style("^" * carets, _SEVERITY_STYLE[finding.severity])

    def _image_details(self, finding: Finding) -> list[str]:
        """Bytes, layer and created_by on one line, then up to MAX_PATHS paths."""
        head = []
        if finding.bytes is not None:
            head.append(format_size(finding.bytes))
        if finding.layer is not None:
            head.append(f"{'in ' if head else ''}layer {finding.layer}")
        line = " ".join(head)
        if finding.created_by:
            created = escape_control(shorten_created_by(finding.created_by))
            line = f"{line}: {created}" if line else f"created by: {created}"
        out = [f"  {line}"] if line else []
        for path in finding.paths[:MAX_PATHS]:
            out.append(f"    {escape_control(path)}")
        if len(finding.paths) > MAX_PATHS:
            out.append(f"    … and {len(finding.paths) - MAX_PATHS} more")
        return out

    def _summary(self, report: Report) -> str:
        noun = ("file", "files") if report.command == "lint" else ("target", "targets")
        if not report.findings:
            checked = len(report.targets)
            if not checked:
                return "No problems found"
            return f"No problems found in {checked} {noun[checked != 1]}"
        counts = count_by_severity(report.findings)
        parts = [
            self._style(f"{n} {_NOUNS[sev][n != 1]}", _SEVERITY_STYLE[sev])
            for sev, n in counts.items()
            if n
        ]
        image = image_target(report)
        where = len({target_of(f, report, image=image) for f in report.findings})
        return f"{', '.join(parts)} in {where} {noun[where != 1]}"


__all__ = ["TextReporter"]
