"""The JUnit reporter: structure GitLab and Jenkins read, counts, escaping, threshold."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from tests.report._reports import DATA, REPORTS, check_report, lint_report

from finalstage.findings import Finding, Location, Report, RuleInfo, Severity
from finalstage.report import render

RULE = RuleInfo("FS103", "copy-entire-context", "t", Severity.ERROR, "")


def _parse(report: Report) -> ET.Element:
    text = render(report, "junit")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.encode("utf-8"))


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_counts_match_contents(name: str) -> None:
    root = _parse(REPORTS[name]())
    assert root.tag == "testsuites"
    total = failures = 0
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        failed = [c for c in cases if c.find("failure") is not None]
        assert suite.get("tests") == str(len(cases))
        assert suite.get("failures") == str(len(failed))
        assert suite.get("errors") == "0" and suite.get("skipped") == "0"
        for case in cases:
            assert case.get("name") and case.get("classname")
            for failure in case.findall("failure"):
                assert failure.get("message") and failure.get("type") and failure.text
        total += len(cases)
        failures += len(failed)
    assert root.get("tests") == str(total) and root.get("failures") == str(failures)


def test_one_suite_per_target_one_case_per_rule() -> None:
    root = _parse(lint_report())
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["Dockerfile", "build/Dockerfile.prod"]
    assert [c.get("name") for c in suites[0]] == [
        "FS101 sdk-base-image",
        "FS103 copy-entire-context",
    ]
    # Jenkins would split "Dockerfile.prod" into package and class at the dot.
    assert suites[1][0].get("classname") == "build/Dockerfile_prod"


def test_several_findings_of_one_rule_are_one_failure() -> None:
    findings = tuple(
        Finding(
            "FS103",
            "copy-entire-context",
            Severity.ERROR,
            f"copy {n}",
            location=Location("Dockerfile", n, 1),
            fix_hint="narrow it",
        )
        for n in (7, 3)
    )
    root = _parse(Report(command="lint", findings=findings, targets=("Dockerfile",), rules=(RULE,)))
    failures = root.findall("./testsuite/testcase/failure")
    assert len(failures) == 1
    assert failures[0].get("message") == "copy 3 (and 1 more)"
    assert failures[0].text == (
        "Dockerfile:3:1: [error] copy 3\n  fix: narrow it\n\n"
        "Dockerfile:7:1: [error] copy 7\n  fix: narrow it"
    )


def test_findings_below_the_threshold_do_not_fail_the_case() -> None:
    root = _parse(check_report())  # fail_on=warning: the info finding is below it
    by_name = {(s.get("name"), c.get("name")): c for s in root for c in s}
    info_case = by_name[("Dockerfile", "FS402 shell-form-entrypoint")]
    assert info_case.find("failure") is None
    out = info_case.find("system-out")
    assert out is not None and out.text is not None
    assert out.text.startswith("Dockerfile:12:1: [info] ENTRYPOINT uses shell form")
    assert by_name[("app:1.0", "FS301 package-manager-cache")].find("failure") is not None


def test_control_characters_stay_well_formed() -> None:
    every_c0 = "".join(chr(c) for c in range(32)) + "\x7f\x9b\ud800"
    finding = Finding(
        "FS201",
        "n" + every_c0,
        Severity.ERROR,
        "m" + every_c0,
        fix_hint=every_c0,
        paths=("/p" + every_c0,),
        created_by=every_c0,
        location=Location("D" + every_c0, 1),
        source_line=every_c0,
    )
    root = _parse(Report(command="check", findings=(finding,), targets=("img" + every_c0,)))
    failure = root.find("./testsuite/testcase/failure")
    assert failure is not None and failure.text is not None
    assert "\x1b" not in failure.text and "\\x1b" in failure.text


def test_no_targets_and_no_rules() -> None:
    root = _parse(Report(command="lint", findings=()))
    assert root.get("tests") == "0" and root.findall("testsuite") == []


def test_image_findings_without_targets_get_a_suite() -> None:
    finding = Finding("FS301", "cache", Severity.ERROR, "m", bytes=10)
    root = _parse(Report(command="check", findings=(finding,)))
    assert [s.get("name") for s in root] == ["<image>"]
    assert root.get("failures") == "1"


def test_parses_with_junitparser() -> None:
    junitparser = pytest.importorskip("junitparser", reason="junitparser is not installed")
    xml = junitparser.JUnitXml.fromstring(render(check_report(), "junit"))
    suites = list(xml)
    assert [s.name for s in suites] == ["app:1.0", "Dockerfile"]
    assert [s.tests for s in suites] == [4, 4] and [s.failures for s in suites] == [1, 0]
    results = {(s.name, c.name): c.result for s in suites for c in s}
    (failure,) = results[("app:1.0", "FS301 package-manager-cache")]
    assert isinstance(failure, junitparser.Failure)
    assert failure.message == "apt package lists left in the image (37% of its size)"
    assert failure.type == "warning"
    assert results[("Dockerfile", "FS101 sdk-base-image")] == []


@pytest.fixture(scope="module")
def junit_xsd() -> object:
    xmlschema = pytest.importorskip("xmlschema", reason="xmlschema is not installed")
    return xmlschema.XMLSchema(str(DATA / "junit-10.xsd"))


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_valid_against_the_jenkins_junit_schema(junit_xsd: Any, name: str) -> None:
    assert [str(e) for e in junit_xsd.iter_errors(render(REPORTS[name](), "junit"))] == []


def test_the_junit_schema_does_check(junit_xsd: Any) -> None:
    broken = render(lint_report(), "junit").replace(' name="FS101 sdk-base-image"', "", 1)
    assert list(junit_xsd.iter_errors(broken))  # a testcase without a name is refused


def test_escaped_report_is_valid_against_the_junit_schema(junit_xsd: Any) -> None:
    nasty = "a\x1b[2J\n::b%,<&>\"'\ud800\u202e"
    finding = Finding(
        "FS201", nasty, Severity.ERROR, nasty, fix_hint=nasty, paths=(nasty,),
        location=Location(nasty, 1), source_line=nasty, created_by=nasty,
    )  # fmt: skip
    report = Report(command="check", findings=(finding,), targets=(nasty,), rules=(RULE,))
    assert [str(e) for e in junit_xsd.iter_errors(render(report, "junit"))] == []


def test_classname_of_image_tests_has_no_reference() -> None:
    finding = Finding(rule="FS201", name="compiler-in-final-image", severity=Severity.ERROR,
                      message="m", layer=1)

    def classnames(reference: str) -> set[str]:
        root = _parse(Report(command="check", findings=(finding,), targets=(reference,),
                             rules=(RULE,)))
        return {case.get("classname", "") for case in root.iter("testcase")}

    assert classnames("registry.example/app:1.0") == classnames("registry.example/app:2.0") \
        == {"image"}
