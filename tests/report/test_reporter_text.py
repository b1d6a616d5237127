"""The text reporter: hand-written expected output for small cases, escaping, colour."""

from __future__ import annotations

import re

from finalstage.findings import Finding, Location, Report, Severity
from finalstage.report.text import TextReporter


def _render(
    *findings: Finding, command: str = "lint", targets: tuple[str, ...] = (), color: bool = False
) -> str:
    report = Report(command=command, findings=findings, targets=targets)
    return TextReporter(color=color).render(report)


def test_dockerfile_finding_with_source_caret_and_fix() -> None:
    finding = Finding(
        "FS103",
        "copy-entire-context",
        Severity.ERROR,
        "the whole build context is copied into the final stage",
        fix_hint="copy only the build output",
        location=Location("Dockerfile", 4, 6, 4, 8),
        source_line="COPY . .",
    )
    assert _render(finding, targets=("Dockerfile",)) == (
        "Dockerfile:4:6: FS103 [error] the whole build context is copied into the final stage\n"
        "  |\n"
        "4 | COPY . .\n"
        "  |      ^^^\n"
        "  fix: copy only the build output\n"
        "\n"
        "1 error in 1 file\n"
    )


def test_caret_accounts_for_escaped_controls_before_the_column() -> None:
    # "/x" is at columns 11-12 of the raw line; the ESC before it prints as 4 characters.
    finding = Finding(
        "FS104",
        "copy-secret",
        Severity.WARNING,
        "m",
        location=Location("D", 1, 11, 1, 12),
        source_line="COPY \x1b[1m /x /y",
    )
    lines = _render(finding).splitlines()
    assert lines[2] == "1 | COPY \\x1b[1m /x /y"
    assert lines[3] == "  | " + " " * 13 + "^^"


def test_column_past_the_end_and_nonsense_ranges_do_not_crash() -> None:
    for loc in (Location("D", 1, 40), Location("D", 0, 0, None, -3), Location("D", 2, 5, 1, 1)):
        out = _render(Finding("FS1", "n", Severity.STYLE, "m", location=loc, source_line="RUN x"))
        assert "^" in out


def test_image_finding_shows_size_layer_created_by_and_five_paths() -> None:
    finding = Finding(
        "FS301",
        "package-manager-cache",
        Severity.WARNING,
        "apt lists left",
        bytes=12_345_678,
        layer=3,
        created_by="|2 A=1 B=2 /bin/sh -c apt-get   update",
        paths=tuple(f"/p{i}" for i in range(7)),
    )
    assert _render(finding, command="check", targets=("app:1.0",)) == (
        "app:1.0: FS301 [warning] apt lists left\n"
        "  12.3 MB in layer 3: apt-get update\n"
        "    /p0\n    /p1\n    /p2\n    /p3\n    /p4\n"
        "    … and 2 more\n"
        "\n"
        "1 warning in 1 target\n"
    )


def test_image_finding_partial_details() -> None:
    only_created = Finding("FS2", "n", Severity.INFO, "m", created_by="#(nop) COPY a b")
    assert "  created by: COPY a b\n" in _render(only_created)
    only_bytes = Finding("FS2", "n", Severity.INFO, "m", bytes=999)
    assert "  999 B\n" in _render(only_bytes)
    only_layer = Finding("FS2", "n", Severity.INFO, "m", layer=0)
    assert "  layer 0\n" in _render(only_layer)


def test_long_created_by_is_shortened() -> None:
    out = _render(Finding("FS2", "n", Severity.INFO, "m", layer=1, created_by="RUN " + "x" * 200))
    detail = out.splitlines()[1]
    assert detail.startswith("  layer 1: RUN xxx") and detail.endswith("…")
    assert len(detail) == len("  layer 1: ") + 80


def test_untrusted_text_is_escaped_without_colour() -> None:
    finding = Finding(
        "FS201",
        "n",
        Severity.ERROR,
        "bad\nname\x1b[2J",
        fix_hint="rm\x1b]0;title\x07",
        paths=("/evil\x1b[31m\n::error::x", "/ok\u202e"),
    )
    out = _render(finding, targets=("img\x1b:1",))
    assert "\x1b" not in out and "\u202e" not in out
    assert out.splitlines()[0] == "img\\x1b:1: FS201 [error] bad name\\x1b[2J"
    assert "    /evil\\x1b[31m\\x0a::error::x\n" in out


def test_colour_only_when_asked_and_only_our_sgr_codes() -> None:
    finding = Finding(
        "FS201",
        "n",
        Severity.ERROR,
        "m\x1b[5m",
        paths=("/x\x1b[2J",),
        location=Location("D", 1, 1),
        source_line="RUN x",
    )
    plain = _render(finding)
    coloured = _render(finding, color=True)
    assert "\x1b" not in plain
    assert "\x1b[1;31m[error]\x1b[0m" in coloured
    # Every ESC in coloured output starts one of our SGR sequences; none came from the data.
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_summary_wording() -> None:
    e = Finding("FS1", "n", Severity.ERROR, "m", location=Location("a", 1))
    w = Finding("FS1", "n", Severity.WARNING, "m", location=Location("b", 1))
    i = Finding("FS1", "n", Severity.INFO, "m", location=Location("b", 2))
    s = Finding("FS1", "n", Severity.STYLE, "m", location=Location("b", 3))
    last = _render(e, e, w, i, i, s, targets=("a", "b", "c")).splitlines()[-1]
    assert last == "2 errors, 1 warning, 2 info, 1 style in 2 files"


def test_empty_reports() -> None:
    assert _render(targets=("Dockerfile", "x/Dockerfile")) == "No problems found in 2 files\n"
    assert _render(command="check", targets=("app:1",)) == "No problems found in 1 target\n"
    assert _render() == "No problems found\n"


def test_long_multiline_source_is_cut() -> None:
    source = "\n".join(f"    line{i} \\" for i in range(8))
    out = _render(
        Finding("FS1", "n", Severity.ERROR, "m", location=Location("D", 10, 5), source_line=source)
    )
    assert "14 |     line4 \\" in out and "line5" not in out
    assert "… 3 more lines" in out
