"""GitHub Actions workflow commands: mapping and the runner's escaping rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from finalstage.findings import Finding, Location, Report, Severity
from finalstage.report import render
from finalstage.report.github import escape_data, escape_property


def _render(*findings: Finding, targets: tuple[str, ...] = ()) -> str:
    return render(Report(command="lint", findings=findings, targets=targets), "github")


def test_escaping_rules() -> None:
    # actions/toolkit: data escapes % CR LF; properties also : and ,
    assert escape_data("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b"
    assert escape_property("C:\\a,b%\n") == "C%3A\\a%2Cb%25%0A"


def test_dockerfile_finding() -> None:
    finding = Finding(
        "FS103",
        "copy-entire-context",
        Severity.ERROR,
        "context copied: 100%",
        fix_hint="copy the build output",
        location=Location("Dockerfile", 4, 1, 4, 8),
    )
    assert _render(finding) == (
        "::error file=Dockerfile,line=4,col=1,endLine=4,endColumn=8,"
        "title=FS103 copy-entire-context::context copied: 100%25%0Afix: copy the build output\n"
    )


def test_multi_line_range_has_no_end_column() -> None:
    finding = Finding("FS1", "n", Severity.WARNING, "m", location=Location("D", 2, 3, 5, 9))
    assert _render(finding) == "::warning file=D,line=2,col=3,endLine=5,title=FS1 n::m\n"


def test_severity_mapping() -> None:
    out = _render(
        *(
            Finding("FS1", "n", s, "m", location=Location("D", i))
            for i, s in enumerate(Severity, start=1)
        )
    )
    assert [line.split(" ", 1)[0] for line in out.splitlines()] == [
        "::error",
        "::warning",
        "::notice",
        "::notice",
    ]


def test_image_finding() -> None:
    finding = Finding(
        "FS301",
        "cache",
        Severity.WARNING,
        "apt lists",
        bytes=1_500_000,
        layer=2,
        created_by="/bin/sh -c apt-get update",
        paths=("/a", "/b"),
    )
    assert _render(finding, targets=("app:1.0",)) == (
        "::warning title=FS301 cache::app:1.0: apt lists%0A1.5 MB, layer 2, apt-get update"
        "%0A/a%0A/b\n"
    )


def test_injection_through_paths_and_file_names_is_neutralised() -> None:
    finding = Finding(
        "FS201",
        "n",
        Severity.ERROR,
        "m\n::error::forged",
        location=Location("a,b:c\n::warning::x.Dockerfile", 1),
        paths=("/x\r\n::set-output name=a::b", "/e\x1b[2J"),
    )
    out = _render(finding)
    assert out.count("\n") == 1 and "\r" not in out and "\x1b" not in out
    assert out.startswith("::error file=a%2Cb%3Ac\\x0a%3A%3Awarning%3A%3Ax.Dockerfile,line=1,")
    assert "/x\\x0d\\x0a::set-output name=a::b" in out


def test_no_findings_no_output() -> None:
    assert _render() == ""


def test_paths_are_relative_to_the_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Annotations resolve files against the repository root, the job's working directory.
    monkeypatch.chdir(tmp_path)
    inside = Finding("FS1", "n", Severity.ERROR, "m", location=Location(str(tmp_path / "a/D"), 1))
    outside = Finding("FS1", "n", Severity.ERROR, "m", location=Location("/elsewhere/D", 1))
    dotted = Finding("FS1", "n", Severity.ERROR, "m", location=Location("./b/D", 1))
    escaping = Finding("FS1", "n", Severity.ERROR, "m", location=Location(f"{tmp_path}/../D", 1))
    lines = _render(inside, outside, dotted, escaping).splitlines()
    assert [line.split(",")[0] for line in lines] == [
        "::error file=b/D",  # sorted by the file names as given: "./b/D" first
        "::error file=/elsewhere/D",
        f"::error file={tmp_path}/../D",  # outside the checkout: kept as given
        "::error file=a/D",
    ]
