"""render(), OutputFormat and colour selection; every format on arbitrary findings."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.report._reports import DATA, REPORTS

from finalstage.errors import UsageError
from finalstage.findings import Finding, Location, Report, Severity
from finalstage.report import FORMATS, OutputFormat, color_for, render
from finalstage.report._base import Reporter


def test_formats_and_reporters() -> None:
    assert [f.value for f in OutputFormat] == ["text", "json", "sarif", "junit", "github",
                                               "gitlab", "checkstyle", "html", "markdown",
                                               "cyclonedx", "spdx"]
    for fmt in OutputFormat:
        reporter = fmt.reporter()
        assert isinstance(reporter, Reporter)
        assert reporter.human_readable is (fmt in (OutputFormat.TEXT, OutputFormat.MARKDOWN))


def test_parse_format() -> None:
    assert OutputFormat.parse(" SARIF ") is OutputFormat.SARIF
    with pytest.raises(UsageError) as err:
        OutputFormat.parse("xml\n\x1b[31m")
    message = str(err.value)
    assert message == ("unknown output format 'xml \\x1b[31m': use text|json|sarif|junit|github|"
                       "gitlab|checkstyle|html|markdown|cyclonedx|spdx")
    with pytest.raises(UsageError):
        render(REPORTS["lint"](), "html")


def test_colour_default_follows_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    report = REPORTS["lint"]()
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" not in render(report, "text")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in render(report, "text")
    assert "\x1b[" not in render(report, "text", color=False)
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in render(report, "text")


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        if self.closed:  # as real files do
            raise ValueError("I/O operation on closed file")
        return True


def test_color_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert color_for(io.StringIO()) is False
    assert color_for(_Tty()) is True
    closed = _Tty()
    closed.close()
    assert color_for(closed) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert color_for(_Tty()) is False
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert color_for(io.StringIO()) is True
    monkeypatch.setenv("FORCE_COLOR", "0")
    assert color_for(io.StringIO()) is False


def _formats(report: Report) -> list[OutputFormat]:
    """The formats the report's command has (SBOMs and Markdown are not for findings)."""
    return [f for f in OutputFormat if f.value in FORMATS.get(report.command, ())]


@pytest.mark.parametrize("fmt", [f.value for f in OutputFormat])
@pytest.mark.parametrize("name", sorted(REPORTS))
def test_deterministic_whatever_the_input_order(name: str, fmt: str) -> None:
    report = REPORTS[name]()
    if fmt not in FORMATS.get(report.command, ()):
        with pytest.raises(UsageError):
            render(report, fmt)
        return
    shuffled = dataclasses.replace(report, findings=tuple(reversed(report.findings)))
    assert render(report, fmt) == render(shuffled, fmt)


def test_version_and_import_pay_for_nothing() -> None:
    # `finalstage --version` and `import finalstage` load no reporter, rule or image reader:
    # the public API is loaded on first use, and the CLI loads only the command being run.
    code = (
        "import sys, finalstage; from finalstage.cli import main; "
        "print(sorted(m for m in sys.modules if m.startswith(('rich', 'typer', 'xml', "
        "'finalstage.report', 'finalstage.rules', 'finalstage.image', 'finalstage.api'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "[]"


# Arbitrary findings: every format renders, parses back, and validates.
# Plus the characters that break terminals, workflow commands, XML and UTF-8 writes.
_nasty = st.sampled_from(
    [
        "\x1b",
        "\n",
        "\r",
        "\x00",
        "\x7f",
        "\x9b",
        "\u202e",
        "\u2028",
        "\udcff",
        "\ud800",
        "%",
        ":",
        ",",
        "\t",
        "<",
        "&",
    ]
)
_text = st.text(alphabet=st.characters() | _nasty, max_size=30)
_locations = st.none() | st.builds(
    Location,
    file=_text,
    line=st.integers(-2, 10**6),
    column=st.integers(-2, 500),
    end_line=st.none() | st.integers(-2, 10**6),
    end_column=st.none() | st.integers(-2, 500),
)
_findings = st.builds(
    Finding,
    rule=st.from_regex(r"FS[0-9]{3}", fullmatch=True),
    name=_text,
    severity=st.sampled_from(list(Severity)),
    message=_text,
    fix_hint=st.none() | _text,
    location=_locations,
    stage=st.none() | _text,
    source_line=st.none() | _text,
    bytes=st.none() | st.integers(-(10**15), 10**15),
    layer=st.none() | st.integers(0, 200),
    created_by=st.none() | _text,
    paths=st.lists(_text, max_size=7).map(tuple),
)
_reports = st.builds(
    Report,
    command=st.sampled_from(["lint", "check"]),
    findings=st.lists(_findings, max_size=5).map(tuple),
    targets=st.lists(_text, max_size=3).map(tuple),
    fail_on=st.sampled_from(list(Severity)),
)


@pytest.fixture(scope="module")
def oasis() -> Any:
    from jsonschema import Draft4Validator

    return Draft4Validator(json.loads((DATA / "sarif-schema-2.1.0.json").read_text()))


@pytest.fixture(scope="module")
def findings_schema() -> Any:
    from jsonschema import Draft202012Validator

    from finalstage.report.json import SCHEMA_PATH

    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


@settings(
    max_examples=int(os.environ.get("FINALSTAGE_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(report=_reports)
def test_any_report_renders_in_every_format(
    report: Report, oasis: Any, findings_schema: Any
) -> None:
    for fmt in _formats(report):
        out = render(report, fmt)
        out.encode("utf-8")
        if fmt is not OutputFormat.GITHUB or report.findings:
            assert out.endswith("\n") and not out.endswith("\n\n")
    shuffled = dataclasses.replace(report, findings=tuple(reversed(report.findings)))
    for fmt in _formats(report):
        assert render(shuffled, fmt) == render(report, fmt)
    text = render(report, "text")
    assert not any(ch in text for ch in "\x1b\r\x00\x7f\x9b")
    assert list(findings_schema.iter_errors(json.loads(render(report, "json")))) == []
    sarif = json.loads(render(report, "sarif"))
    assert list(oasis.iter_errors(sarif)) == []
    ET.fromstring(render(report, "junit").encode("utf-8"))
    github = render(report, "github")
    assert github.count("\n") == len(report.findings)
    assert all(
        line.startswith(("::error ", "::warning ", "::notice ")) for line in github.splitlines()
    )


def test_large_reports_render_in_linear_time() -> None:
    # 8,000 findings: a per-finding scan of all findings (quadratic) takes tens of seconds
    # here; the linear reporters take about two seconds for all five formats.
    import time

    findings = []
    for i in range(4000):
        findings.append(
            Finding("FS103", "n", Severity.ERROR, "m", location=Location(f"d{i % 40}", i, 1))
        )
        findings.append(
            Finding("FS301", "n", Severity.WARNING, "m", bytes=i, layer=i % 9, paths=("/a", "/b"))
        )
    report = Report(command="check", findings=tuple(findings), targets=("img", "d1", "d2"))
    start = time.perf_counter()
    for fmt in _formats(report):
        render(report, fmt)
    assert time.perf_counter() - start < 12


def test_rule_name_with_a_lone_surrogate_renders_in_every_format() -> None:
    # found by the property above: checkstyle and gitlab wrote the rule's name unescaped
    odd = Finding(rule="FS000", name="\ud800", severity=Severity.ERROR, message="")
    report = Report(command="lint", findings=(odd,), fail_on=Severity.ERROR)
    for fmt in _formats(report):
        out = render(report, fmt)
        out.encode("utf-8")
        assert "\ud800" not in out


def test_findings_that_differ_only_by_none_and_empty_render_in_one_order() -> None:
    # found by the property above: created_by None and "" tied, so the input order showed
    a = Finding(rule="FS000", name="", severity=Severity.ERROR, message="", created_by=None)
    b = dataclasses.replace(a, created_by="")
    for fmt in _formats(Report(command="lint", findings=(a, b))):
        assert render(Report(command="lint", findings=(a, b)), fmt) == \
            render(Report(command="lint", findings=(b, a)), fmt)
