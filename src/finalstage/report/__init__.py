"""Reporters: render the one ``Report`` as text, JSON, SARIF 2.1.0, JUnit XML, GitHub
annotations, GitLab Code Quality, checkstyle XML, one offline HTML page, Markdown (a diff for a
pull request, a fleet scan) or an SBOM (CycloneDX 1.6, SPDX 2.3).

    from finalstage.report import render
    sys.stdout.write(render(report, "sarif"))

One module per format behind ``Reporter`` (``_base.py``). ``inspect``, ``ls`` and ``rules``
reports render as text and JSON; findings formats (SARIF, JUnit, GitHub, GitLab, checkstyle) are
for ``lint`` and ``check``; HTML for ``inspect``, ``check``, ``diff`` and ``scan``;
Markdown for ``diff`` and ``scan``; SBOMs for ``inspect``.
``outputs.plan_outputs`` says where each rendering goes.
"""

from __future__ import annotations

import enum
import importlib
import os
from collections.abc import Sequence
from typing import TextIO

from finalstage.errors import UsageError
from finalstage.escape import one_line
from finalstage.findings import Report
from finalstage.report._base import Reporter
from finalstage.report.outputs import Output, plan_outputs

# Format → the reporter class that writes it. A dispatch table, loaded per use: a lint in text
# never loads the XML, SARIF or annotation writers.
REPORTERS: dict[str, str] = {
    "text": "finalstage.report.text:TextReporter",
    "json": "finalstage.report.json:JsonReporter",
    "sarif": "finalstage.report.sarif:SarifReporter",
    "junit": "finalstage.report.junit:JunitReporter",
    "github": "finalstage.report.github:GithubReporter",
    "gitlab": "finalstage.report.gitlab:GitlabReporter",
    "checkstyle": "finalstage.report.checkstyle:CheckstyleReporter",
    "html": "finalstage.report.html:HtmlReporter",
    "markdown": "finalstage.report.markdown:MarkdownReporter",
    # The SBOM writers import their libraries (the ``sbom`` extra) with their module; without
    # them the format fails with one line naming the extra.
    "cyclonedx": "finalstage.report.cyclonedx:CycloneDxReporter",
    "spdx": "finalstage.report.spdx:SpdxReporter",
}

_FINDINGS_FORMATS = ("text", "json", "sarif", "junit", "github", "gitlab", "checkstyle")
# What each command's report can be rendered as (the findings formats need findings).
FORMATS: dict[str, tuple[str, ...]] = {
    "lint": _FINDINGS_FORMATS,
    "check": (*_FINDINGS_FORMATS, "html"),
    "inspect": ("text", "json", "html", "cyclonedx", "spdx"),
    "ls": ("text", "json"),
    "rules": ("text", "json"),
    "diff": ("text", "json", "markdown", "html"),
    "slim": ("text", "json"),
    "scan": ("text", "json", "markdown", "html"),
}


class OutputFormat(enum.StrEnum):
    """Every output format (``--format``); ``FORMATS`` says which each command has."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    GITHUB = "github"
    GITLAB = "gitlab"
    CHECKSTYLE = "checkstyle"
    HTML = "html"
    MARKDOWN = "markdown"
    CYCLONEDX = "cyclonedx"
    SPDX = "spdx"

    def reporter(self, *, color: bool = False, **text_options: bool) -> Reporter:
        """A reporter for this format; ``color`` and the text options (``verbose``,
        ``quiet``, ``packages``, ``is_long``) only affect the text format."""
        module, _, name = REPORTERS[self.value].partition(":")
        cls: type[Reporter] = getattr(importlib.import_module(module), name)
        if self is OutputFormat.TEXT:
            return cls(color=color, **text_options)  # type: ignore[call-arg]
        return cls()

    @classmethod
    def parse(cls, value: str, allowed: tuple[str, ...] | None = None) -> OutputFormat:
        """The format named ``value`` (case-insensitive), or UsageError listing the choices
        (``allowed``: the formats the report's command has)."""
        choices = allowed or tuple(member.value for member in cls)
        name = value.strip().lower()
        if name not in choices:
            known = name in tuple(member.value for member in cls)
            raise UsageError(f"{'output format' if known else 'unknown output format'} "
                             f"'{one_line(value)}'{' is not available here' if known else ''}"
                             f": use {'|'.join(choices)}")
        return cls(name)


def color_for(stream: TextIO) -> bool:
    """Whether to colour output written to ``stream``.

    Follows the no-color.org and FORCE_COLOR conventions: ``NO_COLOR`` (non-empty) turns colour
    off, ``FORCE_COLOR`` (non-empty, not ``0``/``false``) turns it on, ``TERM=dumb`` turns it
    off, otherwise colour only on a terminal.
    """
    if os.environ.get("NO_COLOR"):
        return False
    if _forced():
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # closed or detached stream
        return False


def _forced() -> bool:
    # FORCE_COLOR=0 / false means "do not force" in the tools that popularised the variable.
    value = os.environ.get("FORCE_COLOR", "")
    return value.lower() not in ("", "0", "false", "no")


def render(report: Report, fmt: str, *, color: bool | None = None, statistics: bool = False,
           **text_options: bool) -> str:
    """Render ``report`` in format ``fmt`` (text|json|sarif|junit|github|gitlab|checkstyle|html|
    markdown|cyclonedx|spdx, as ``FORMATS`` allows for the report's command).

    ``color`` only matters for text: True/False as given (the CLI passes
    ``color_for(sys.stdout)``); None means no colour unless ``FORCE_COLOR`` is set and
    ``NO_COLOR`` is not. ``statistics`` renders the finding count of each rule instead of the
    findings (text or json). Raises UsageError for an unknown format, or one the report's
    command has no use for (SARIF of an ``ls``).
    """
    allowed = FORMATS.get(report.command, tuple(f.value for f in OutputFormat))
    chosen = OutputFormat.parse(fmt, ("text", "json") if statistics else allowed)
    if statistics:  # loaded per use, as the reporters are
        counts = importlib.import_module("finalstage.report.statistics")
        return str(counts.render_statistics(report, chosen.value))
    if color is None:
        color = _forced() and not os.environ.get("NO_COLOR")
    return chosen.reporter(color=color, **text_options).render(report)


def plan(command: str, formats: Sequence[str], outputs: Sequence[str], *,
         statistics: bool = False) -> list[Output]:
    """Where each rendering of ``command``'s report goes (``--format`` and ``-o``, see
    ``outputs.py``), every format checked before any work is done: UsageError for a format
    the command cannot render (``--statistics``: text or json only)."""
    planned = plan_outputs(formats, outputs, known=tuple(f.value for f in OutputFormat))
    allowed = ("text", "json") if statistics else FORMATS[command]
    return [Output(OutputFormat.parse(o.format, allowed).value, o.path) for o in planned]


__all__ = ["FORMATS", "Output", "OutputFormat", "color_for", "plan", "render"]
