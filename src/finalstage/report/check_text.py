"""The part of ``check``'s text only ``check`` has: the verdict of each policy key and structure
test under the findings, the findings a baseline already knows (apart, never failing), and with
``--verbose`` the rules that were skipped and why."""

from __future__ import annotations

from finalstage.engine.verdicts import CheckDetail
from finalstage.escape import one_line
from finalstage.findings import Finding, Report, RuleOutcome


def render_verdicts(report: Report, detail: CheckDetail) -> str:
    """``check passed (policy: …)`` and one line per policy key and structure test."""
    lines = []
    for verdict in detail.verdicts:
        lines.append(f"  {verdict.status:4}  {verdict.key}: {one_line(verdict.detail)}")
    for test in detail.structure_tests:
        why = f": {one_line('; '.join(test.errors))}" if test.errors else ""
        lines.append(f"  {test.status:4}  {one_line(test.name)}{why}")
    verdict = "FAILED" if report.is_failed else "passed"
    head = f"check {verdict} (policy: {one_line(detail.policy or 'no policy file')})"
    return "\n".join([head, *lines]) + "\n"


def render_suppressed(findings: tuple[Finding, ...]) -> str:
    """The findings a baseline knows: listed, not failing."""
    if not findings:
        return ""
    lines = [f"{len(findings)} finding(s) known to the baseline (not failing):"]
    for finding in findings:
        loc = finding.location
        where = f"{one_line(loc.file)}:{loc.line}" if loc is not None else "image"
        lines.append(f"  {where}: {finding.rule} [{finding.severity.value}] "
                     f"{one_line(finding.message)}")
    return "\n".join(lines) + "\n"


def render_skipped(outcomes: tuple[RuleOutcome, ...]) -> str:
    """The rules that did not run, with the reason (``--verbose``)."""
    skipped = [o for o in outcomes if o.status == "skip"]
    if not skipped:
        return ""
    lines = [f"{len(skipped)} rule(s) skipped:"]
    lines += [f"  {o.code} {o.name}: {one_line(o.detail or '')}" for o in skipped]
    return "\n".join(lines) + "\n"


__all__ = ["render_skipped", "render_suppressed", "render_verdicts"]
