"""JUnit XML for CI test reports (GitLab ``artifacts:reports:junit``, Jenkins ``junit``).

One ``<testsuite>`` per target (Dockerfile or image) and, inside it, one ``<testcase>`` per
rule that ran, named ``FS103 copy-entire-context``. Per rule rather than per finding because
both viewers key test history on the test's name: GitLab's merge-request widget reports "new
failures" and "resolved failures" by comparing names between pipelines, and Jenkins tracks a
test's age and "fixed" state by (classname, name). Rule names are stable across commits; a
per-finding name would change whenever a line moves. Passing rules show as passed tests, so
the report also says what was checked.

A rule's testcase fails (``<failure>``) when it has findings at or above the report's
``fail_on`` threshold, so the JUnit verdict matches the exit code. The failure's ``message``
is the first finding's message (``and N more``); its text lists every finding of that rule
with position, details and fix. Findings below the threshold go to the testcase's
``<system-out>`` and leave it passing.

XML 1.0 cannot carry most control characters at all, so all text from Dockerfiles and images
is escaped with escape_control before ElementTree escapes the markup.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import ClassVar

from finalstage.cst import CstResult
from finalstage.engine.verdicts import CheckDetail
from finalstage.findings import Finding, Report, RuleInfo
from finalstage.report._base import (
    Reporter,
    image_facts,
    image_target,
    rule_table,
    sorted_findings,
    target_of,
)
from finalstage.report._xml import xml_document
from finalstage.escape import escape_control, one_line
from finalstage.rules.policy.structure_test_failed import StructureTestFailed



def _describe(finding: Finding, image: str) -> str:
    """One finding as a few lines of plain text for the failure body."""
    loc = finding.location
    where = (
        f"{escape_control(loc.file)}:{loc.line}:{loc.column}"
        if loc is not None
        else escape_control(image)
    )
    lines = [f"{where}: [{finding.severity.value}] {one_line(finding.message)}"]
    if finding.source_line:
        lines.extend(f"    {escape_control(s.rstrip())}" for s in finding.source_line.split("\n"))
    facts = image_facts(finding)
    if facts:
        lines.append("  " + facts)
    lines.extend(f"    {escape_control(path)}" for path in finding.paths)
    if finding.fix_hint:
        lines.append(f"  fix: {one_line(finding.fix_hint)}")
    return "\n".join(lines)


def _testcase(
    suite: ET.Element,
    target: str,
    info: RuleInfo,
    findings: list[Finding],
    report: Report,
    image: str,
) -> bool:
    """Add the testcase of one rule on one target; True when it failed."""
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "name": f"{info.code} {escape_control(info.name)}",
            # Jenkins splits classname at its last dot into package and class; a file name
            # such as Dockerfile.prod would become package "Dockerfile", class "prod". The
            # image's tests are "image": a new tag of the same image keeps its test history.
            "classname": "image" if report.command == "check" and report.targets[:1] == (target,)
            else escape_control(target).replace(".", "_"),
            "time": "0",
        },
    )
    failing = [f for f in findings if f.severity >= report.fail_on]
    passing = [f for f in findings if f.severity < report.fail_on]
    if failing:
        message = one_line(failing[0].message)
        if len(failing) > 1:
            message += f" (and {len(failing) - 1} more)"
        failure = ET.SubElement(
            case, "failure", {"message": message, "type": failing[0].severity.value}
        )
        failure.text = "\n\n".join(_describe(f, image) for f in failing)
    if passing:
        out = ET.SubElement(case, "system-out")
        out.text = "\n\n".join(_describe(f, image) for f in passing)
    return bool(failing)


def report_to_junit(report: Report) -> ET.Element:
    """The report as a ``<testsuites>`` element."""
    rules = rule_table(report)
    tests = report.detail.structure_tests if isinstance(report.detail, CheckDetail) else ()
    if tests:  # each structure test is its own testcase below; FS911 would count them twice
        rules = [info for info in rules if info.code != StructureTestFailed.code]
    image = image_target(report)
    # Findings per target, in the report's target order, then targets only findings name.
    by_target: dict[str, dict[str, list[Finding]]] = {t: {} for t in report.targets}
    for finding in sorted_findings(report):
        of_target = by_target.setdefault(target_of(finding, report, image=image), {})
        of_target.setdefault(finding.rule, []).append(finding)
    listed = set(report.targets)
    targets = list(dict.fromkeys(report.targets))
    targets += sorted(t for t in by_target if t not in listed)
    if not targets and rules:
        targets = [report.command]
    root = ET.Element("testsuites", {"name": f"finalstage {report.command}"})
    total_tests = total_failures = 0
    for target in targets:
        findings = by_target.get(target, {})
        suite = ET.SubElement(root, "testsuite", {"name": escape_control(target)})
        failures = 0
        for info in rules:
            failures += _testcase(suite, target, info, findings.get(info.code, []), report, image)
        suite.set("tests", str(len(rules)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        suite.set("time", "0")
        total_tests += len(rules)
        total_failures += failures
    if tests:
        added, failed = _structure_suite(root, tests)
        total_tests += added
        total_failures += failed
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    root.set("time", "0")
    return root


def _structure_suite(root: ET.Element, tests: tuple[CstResult, ...]) -> tuple[int, int]:
    """One testcase per container-structure-test test: what was expected beside what was
    found on failure, the reason on skip. Returns (tests, failures)."""
    suite = ET.SubElement(root, "testsuite", {"name": "structure tests"})
    failures = skipped = 0
    for result in tests:
        case = ET.SubElement(suite, "testcase", {
            "name": escape_control(result.name),
            "classname": escape_control(result.test.file).replace(".", "_"), "time": "0"})
        # escaped line by line: a command's output keeps its lines, each made XML-safe once
        text = "\n".join(escape_control(line) for e in result.errors for line in e.split("\n"))
        if result.status == "fail":
            failures += 1
            failure = ET.SubElement(case, "failure", {
                "message": one_line(result.errors[0]) if result.errors else "failed",
                "type": "error"})
            failure.text = text
        elif result.status == "skip":
            skipped += 1
            ET.SubElement(case, "skipped", {"message": one_line(text) or "skipped"})
    for key, value in (("tests", len(tests)), ("failures", failures), ("errors", 0),
                       ("skipped", skipped), ("time", 0)):
        suite.set(key, str(value))
    return len(tests), failures


class JunitReporter(Reporter):
    """The report as a JUnit XML document."""

    human_readable: ClassVar[bool] = False

    def render(self, report: Report) -> str:
        """The XML document (UTF-8 declaration, two-space indent), ending in a newline."""
        return xml_document(report_to_junit(report))


__all__ = ["JunitReporter", "report_to_junit"]
