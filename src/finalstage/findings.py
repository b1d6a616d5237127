"""The data every layer above shares: severities, locations, findings, rule outcomes, the report.

Plain frozen values with no behaviour beyond ordering: rules produce ``Finding``s, the engine
turns them into one ``Report``, and every output format renders that ``Report``.
"""

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


class Applicability(enum.StrEnum):
    """Whether a fix keeps what the image does (ruff ``Applicability``): ``safe`` fixes are
    applied by ``lint --fix``; ``unsafe`` ones may change behaviour and need ``--unsafe-fixes``."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Edit:
    """Replace the text from (``line``, ``column``) to (``end_line``, ``end_column``) with
    ``content``: 1-based lines, 0-based columns into the file's lines (end exclusive), so a fix
    touches only its span and comments, continuations and heredocs around it survive."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str

    @classmethod
    def insert(cls, line: int, column: int, content: str) -> Edit:
        return cls(line, column, line, column, content)


@dataclass(frozen=True)
class Fix:
    """A rule's fix for one finding: what it does, how safe it is, and its edits."""

    title: str
    applicability: Applicability
    edits: tuple[Edit, ...]


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
    # What the finding is about ("category:compiler", "config:user"): the engine merges two
    # findings about the same subject at the same place into one, whatever rules raised them.
    subjects: tuple[str, ...] = field(default_factory=tuple)
    # Codes of other rules whose findings about the same fact were merged into this one.
    also: tuple[str, ...] = field(default_factory=tuple)
    # The rule's fix for this finding, when it can make one (``lint --fix``).
    fix: Fix | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.file if loc else "", loc.line if loc else 0, loc.column if loc else 0, self.rule)


__all__ = ["Applicability", "Edit", "Finding", "Fix", "Location", "Severity"]


@dataclass(frozen=True)
class RuleInfo:
    """What a reporter needs to know about a rule (SARIF rules table, JUnit names, docs links)."""

    code: str
    name: str
    title: str                     # first docstring line: the SARIF shortDescription
    severity: Severity             # default severity
    help: str                      # the full Markdown documentation


@dataclass(frozen=True)
class RuleOutcome:
    """What happened to one selected rule in a run: it ran (with how many findings, and for
    budget rules a one-line verdict such as ``2.7 MB uncompressed, budget 150 MB``) or it was
    skipped, with the reason (``needs an image``, ``not configured``)."""

    code: str
    name: str
    status: str                    # "pass" | "warn" | "fail" | "skip"
    findings: int = 0
    detail: str | None = None
    policy_key: str | None = None  # the [policy] key that configured it, if any


@dataclass(frozen=True)
class Report:
    """The one result every command returns and every format renders.

    ``command`` is "lint", "check", "inspect" or "ls"; ``targets`` the Dockerfiles or image
    references examined; ``rules`` every rule that ran (SARIF lists them even with no result);
    ``outcomes`` one entry per selected rule, ran or skipped; ``suppressed`` the findings a
    baseline already knows (shown apart, never failing the run); ``detail`` the command's own
    typed payload (the inspect summary, the ls listing, the check verdicts); ``data`` extra
    JSON-ready keys. ``fail_on`` is the threshold that decides the exit code.
    """

    command: str
    findings: tuple[Finding, ...]
    targets: tuple[str, ...] = ()
    rules: tuple[RuleInfo, ...] = ()
    data: dict[str, object] = field(default_factory=dict)
    fail_on: Severity = Severity.ERROR
    outcomes: tuple[RuleOutcome, ...] = ()
    suppressed: tuple[Finding, ...] = ()
    detail: object | None = None
    notes: tuple[str, ...] = ()        # what the run could not do, said once (squashed image…)
    failure: bool = False              # failed for a reason other than findings (scan errors)

    @property
    def is_failed(self) -> bool:
        """True when a finding reaches ``fail_on``, or the command failed otherwise
        (``scan --fail-on-error`` with an image it could not read)."""
        return self.failure or any(f.severity >= self.fail_on for f in self.findings)

    @property
    def exit_code(self) -> int:
        """0 pass, 1 failed (usage and input errors raise instead and exit 2)."""
        return 1 if self.is_failed else 0


__all__ += ["Report", "RuleInfo", "RuleOutcome"]
