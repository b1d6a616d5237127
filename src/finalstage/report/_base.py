"""The Reporter interface and the helpers every format shares (ordering, targets, counts)."""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from pathlib import Path, PurePosixPath
from typing import ClassVar

from finalstage.escape import escape_control, one_line
from finalstage.findings import Finding, Report, RuleInfo, Severity
from finalstage.units import format_size

# Most severe first: summaries and the SARIF/JUnit tables list severities in this order.
SEVERITIES: tuple[Severity, ...] = (
    Severity.ERROR,
    Severity.WARNING,
    Severity.INFO,
    Severity.STYLE,
)

# What an image finding is filed under when the report names no target at all.
UNKNOWN_TARGET = "<image>"


class Reporter(ABC):
    """Turns a Report into the text of one output format.

    ``render`` returns the whole document. Non-empty output ends with exactly one newline, so
    callers write it as is (``sys.stdout.write``), never through ``print``.
    """

    #: True for formats meant for people (text): the CLI may add colour and progress around them.
    human_readable: ClassVar[bool] = False

    @abstractmethod
    def render(self, report: Report) -> str:
        """Render ``report`` as one document of this format."""


def finding_order(finding: Finding) -> tuple[object, ...]:
    """Total order for findings: Finding.sort_key, then fields that break its ties.

    sort_key alone ties for image findings (no Location) of one rule; the tie-breakers (every
    other field, None first) make the output independent of the order the rules produced them
    in.
    """
    loc = finding.location
    return (
        finding.sort_key(),
        loc is not None,  # no location before Location("", 0, 0), which sort_key ties with it
        -finding.severity.rank,
        _int(finding.layer),
        finding.message,
        finding.paths,
        finding.name,
        _int(finding.bytes),
        _str(finding.created_by),
        _str(finding.fix_hint),
        _str(finding.stage),
        _str(finding.source_line),
        _int(loc.end_line if loc else None),
        _int(loc.end_column if loc else None),
        finding.subjects,
        finding.also,
    )


def _str(value: str | None) -> tuple[int, str]:
    # None before "" (``or ""`` tied them, and their order then followed the input's).
    return (0, "") if value is None else (1, value)


def _int(value: int | None) -> tuple[int, int]:
    # (0, 0) sorts None before every number, negative ones included.
    return (0, 0) if value is None else (1, value)


def sorted_findings(report: Report) -> list[Finding]:
    """The report's findings in deterministic order."""
    return sorted(report.findings, key=finding_order)


def image_target(report: Report) -> str:
    """The target an image finding (one without a Location) belongs to.

    The first target that no located finding points at (commands list the image before its
    Dockerfile), else the first target. Compute it once per report: it scans every finding.
    """
    files = {f.location.file for f in report.findings if f.location is not None}
    for target in report.targets:
        if target not in files:
            return target
    return report.targets[0] if report.targets else UNKNOWN_TARGET


def target_of(finding: Finding, report: Report, *, image: str | None = None) -> str:
    """The target (Dockerfile or image reference) a finding belongs to.

    A located finding belongs to its file, an image finding to ``image`` (pass
    ``image_target(report)`` when calling this for many findings) or to image_target(report).
    """
    if finding.location is not None:
        return finding.location.file
    return image if image is not None else image_target(report)


def display_path(file: str, cwd: Path | None = None) -> tuple[str, bool]:
    """``file`` as CI services want it: (posix path, is_relative).

    An absolute path inside ``cwd`` (default: the working directory, which is the checkout in
    CI) becomes relative to it, because code scanning and annotations resolve files against the
    repository root. Other paths are returned normalised (``./a`` -> ``a``), absolute if they
    were.
    """
    path = PurePosixPath(file.replace(os.sep, "/"))
    if not path.is_absolute():
        return path.as_posix(), True
    try:
        base = cwd or Path.cwd()
    except OSError:  # the working directory was deleted
        return path.as_posix(), False
    for resolve in (False, True):
        try:
            # normpath first: relative_to is lexical, and "/repo/../x" is not inside /repo.
            here = Path(path).resolve() if resolve else Path(os.path.normpath(path))
            root = base.resolve() if resolve else Path(os.path.normpath(base))
            return here.relative_to(root).as_posix(), True
        except (ValueError, OSError):  # outside cwd, NUL byte, unreadable link…
            continue
    return path.as_posix(), False


# The reference forms whose path is a file or directory the repository may hold.
_LOCAL_TRANSPORTS = ("docker-archive:", "oci-archive:", "oci:")


def image_path(image: str) -> str | None:
    """The local file or directory an image reference names, when it names one."""
    for prefix in _LOCAL_TRANSPORTS:
        if image.startswith(prefix):
            path = image[len(prefix):]
            # docker-archive:PATH:TAG / oci:DIR:REF: the path is the part that exists
            while path and not os.path.exists(path) and ":" in path:
                path = path.rsplit(":", 1)[0]
            return path if os.path.exists(path) else None
    return image if os.path.exists(image) else None


def check_dockerfile(report: Report, image: str) -> str | None:
    """The Dockerfile a ``check`` report was given (its target other than the image), else
    None: where code-review services show the image findings that no line is tied to."""
    if report.command != "check":
        return None
    return next((t for t in report.targets if t != image), None)


def image_anchor(report: Report, image: str) -> str:
    """The file of the repository where code-review services show an image finding no line is
    tied to: the Dockerfile ``check`` was given, else the image archive when it is a file, else
    the image reference itself."""
    return check_dockerfile(report, image) or image_path(image) or image


def count_by_severity(findings: list[Finding] | tuple[Finding, ...]) -> dict[Severity, int]:
    """How many findings of each severity, every severity present (most severe first)."""
    counts = {severity: 0 for severity in SEVERITIES}
    for finding in findings:
        counts[finding.severity] += 1
    return counts


def rule_table(report: Report) -> list[RuleInfo]:
    """Every rule that ran, plus any rule that produced a finding without being listed.

    Sorted by code so the SARIF ``ruleIndex`` and JUnit test order are stable. A rule missing
    from ``report.rules`` gets a minimal entry built from its first finding.
    """
    rules: dict[str, RuleInfo] = {}
    for info in report.rules:
        rules.setdefault(info.code, info)
    for finding in sorted_findings(report):
        if finding.rule not in rules:
            rules[finding.rule] = RuleInfo(
                code=finding.rule,
                name=finding.name,
                title=finding.name,
                severity=finding.severity,
                help="",
            )
    return [rules[code] for code in sorted(rules)]


_SHELL_PREFIX = re.compile(r"^(?:\|\d+(?:\s+\S+=\S*)*\s+)?/bin/(?:ba)?sh -c\s+")


def image_facts(finding: Finding) -> str:
    """The image side of a finding on one line: ``45.7 MB, layer 2, apt-get install …``."""
    facts = []
    if finding.bytes is not None:
        facts.append(format_size(finding.bytes))
    if finding.layer is not None:
        facts.append(f"layer {finding.layer}")
    if finding.created_by:
        facts.append(escape_control(shorten_created_by(finding.created_by)))
    return ", ".join(facts)


def finding_line(finding: Finding, image: str, label: str) -> str:
    """One line for code-review formats: ``label: message``, led by ``image`` when no Dockerfile
    line holds the finding, followed by its image facts (``(45.7 MB, layer 2, …)``)."""
    text = f"{one_line(label)}: {one_line(finding.message)}"
    if finding.location is None:
        text = f"{escape_control(image)}: {text}"
    facts = image_facts(finding)
    return f"{text} ({facts})" if facts else text


def shorten_created_by(created_by: str, limit: int = 80) -> str:
    """A layer's ``created_by`` as a short single line.

    Drops the ``/bin/sh -c`` wrapper (and buildah's ``|N ARG=v`` prefix for build args) and
    ``#(nop)`` marker that builders add, collapses whitespace, and cuts at ``limit``
    characters with an ellipsis. The caller escapes the result.
    """
    text = " ".join(created_by.split())
    text = _SHELL_PREFIX.sub("", text)
    if text.startswith("#(nop)"):
        text = text[len("#(nop)") :].strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


__all__ = [
    "SEVERITIES",
    "Reporter",
    "check_dockerfile",
    "count_by_severity",
    "display_path",
    "finding_order",
    "image_anchor",
    "image_facts",
    "image_path",
    "image_target",
    "rule_table",
    "shorten_created_by",
    "sorted_findings",
    "target_of",
]
