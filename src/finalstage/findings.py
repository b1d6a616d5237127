"""Findings: the one result type shared by Dockerfile rules, image rules, policy and reporters."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.StrEnum):
    """How bad a finding is. Ordered: ``Severity.ERROR > Severity.WARNING``."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    STYLE = "style"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank


_RANK = {Severity.STYLE: 0, Severity.INFO: 1, Severity.WARNING: 2, Severity.ERROR: 3}


@dataclass(frozen=True)
class Location:
    """A place in a file: 1-based lines and columns, end inclusive."""

    file: str
    line: int
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None


@dataclass(frozen=True)
class Finding:
    """One problem found by one rule.

    ``message`` names the problem without a trailing period; ``fix_hint`` says how to fix it.
    Image findings also carry the bytes involved, the top paths, and the layer that added them.
    Values that could be secrets are redacted before they ever reach a Finding.
    """

    rule: str                      # "FS103"
    name: str                      # "copy-entire-context"
    severity: Severity
    message: str
    fix_hint: str | None = None
    location: Location | None = None
    stage: str | None = None       # name (or index) of the Dockerfile stage
    source_line: str | None = None  # the offending Dockerfile text, for text output
    bytes: int | None = None
    layer: int | None = None
    created_by: str | None = None
    paths: tuple[str, ...] = field(default_factory=tuple)

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.file if loc else "", loc.line if loc else 0, loc.column if loc else 0, self.rule)


__all__ = ["Finding", "Location", "Severity"]


@dataclass(frozen=True)
class RuleInfo:
    """What a reporter needs to know about a rule (SARIF rules table, JUnit names, docs links)."""

    code: str
    name: str
    title: str                     # first docstring line: the SARIF shortDescription
    severity: Severity             # default severity
    help: str                      # the full Markdown documentation


@dataclass(frozen=True)
class Report:
    """The result handed to a reporter: findings plus the context needed to render them.

    ``command`` is "lint", "check" or "inspect"; ``targets`` the Dockerfiles or image references
    examined; ``rules`` every rule that ran (SARIF lists them even with no result); ``data`` any
    command-specific JSON-ready payload (inspect's sizes and layers, check's policy clauses).
    ``fail_on`` is the threshold that decides the exit code.
    """

    command: str
    findings: tuple[Finding, ...]
    targets: tuple[str, ...] = ()
    rules: tuple[RuleInfo, ...] = ()
    data: dict[str, object] = field(default_factory=dict)
    fail_on: Severity = Severity.ERROR

    @property
    def is_failed(self) -> bool:
        return any(f.severity >= self.fail_on for f in self.findings)


__all__ += ["Report", "RuleInfo"]
