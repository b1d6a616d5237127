"""Reporters: render a findings.Report as text, JSON, SARIF 2.1.0, JUnit XML or GitHub annotations.

    from finalstage.report import render
    sys.stdout.write(render(report, "sarif"))

One module per format behind ``Reporter`` (``_base.py``). Format modules are imported only
when used, so importing this package stays cheap for the CLI's start-up.
"""

from __future__ import annotations

import enum
import os
from typing import TYPE_CHECKING, TextIO, assert_never

from finalstage.errors import UsageError

if TYPE_CHECKING:
    from finalstage.findings import Report
    from finalstage.report._base import Reporter


class OutputFormat(enum.StrEnum):
    """The output formats of ``lint`` and ``check`` (``--format``)."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    GITHUB = "github"

    def reporter(self, *, color: bool = False) -> Reporter:
        """A reporter for this format; ``color`` only affects the text format."""
        if self is OutputFormat.TEXT:
            from finalstage.report.text import TextReporter

            return TextReporter(color=color)
        if self is OutputFormat.JSON:
            from finalstage.report.json import JsonReporter

            return JsonReporter()
        if self is OutputFormat.SARIF:
            from finalstage.report.sarif import SarifReporter

            return SarifReporter()
        if self is OutputFormat.JUNIT:
            from finalstage.report.junit import JunitReporter

            return JunitReporter()
        if self is OutputFormat.GITHUB:
            from finalstage.report.github import GithubReporter

            return GithubReporter()
        assert_never(self)

    @classmethod
    def parse(cls, value: str) -> OutputFormat:
        """The format named ``value`` (case-insensitive), or UsageError listing the choices."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            from finalstage.escape import one_line

            choices = "|".join(member.value for member in cls)
            raise UsageError(f"unknown output format '{one_line(value)}': use {choices}") from None


def color_for(stream: TextIO) -> bool:
    """Whether to colour output written to ``stream``.

    Follows the no-color.org and FORCE_COLOR conventions: ``NO_COLOR`` (non-empty) turns colour
    off, ``FORCE_COLOR`` (non-empty, not ``0``/``false``) turns it on, otherwise colour only on
    a terminal.
    """
    if os.environ.get("NO_COLOR"):
        return False
    if _forced():
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # closed or detached stream
        return False


def _forced() -> bool:
    # FORCE_COLOR=0 / false means "do not force" in the tools that popularised the variable.
    value = os.environ.get("FORCE_COLOR", "")
    return value.lower() not in ("", "0", "false", "no")


def render(report: Report, fmt: str, *, color: bool | None = None) -> str:
    """Render ``report`` in format ``fmt`` (text|json|sarif|junit|github).

    ``color`` only matters for text: True/False as given (the CLI passes
    ``color_for(sys.stdout)``); None means no colour unless ``FORCE_COLOR`` is set and
    ``NO_COLOR`` is not. Raises UsageError for an unknown format.
    """
    if color is None:
        color = _forced() and not os.environ.get("NO_COLOR")
    return OutputFormat.parse(fmt).reporter(color=color).render(report)


__all__ = ["OutputFormat", "color_for", "render"]
