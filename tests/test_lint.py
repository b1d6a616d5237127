"""The lint library API: lint_paths / lint_text on real Dockerfiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from finalstage.settings import Settings as LintConfig
from finalstage.errors import DockerfileError, UsageError
from finalstage.findings import Severity
from finalstage.api.lint import lint as lint_paths, lint_text
from finalstage.rules import ALL_RULES, Needs
from finalstage.rules.policy._budget import PolicyRule

SEED = """\
FROM golang:1.22 AS builder
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /out/app .
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=builder /out/app /app
ENTRYPOINT ["/app"]
"""


def test_seed_example_is_clean() -> None:
    # The seed's minimal final stage: builder-stage facts (golang, COPY . .) must not count.
    assert lint_text(SEED) == []


def test_report_shape(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM golang:1.22\nCOPY . .\n", encoding="utf-8")
    report = lint_paths([path], settings=LintConfig())
    assert report.command == "lint"
    assert report.targets == (str(path),)
    # every rule that can judge a Dockerfile alone ran (budgets wait for a policy, image
    # rules for an image)
    assert {r.code for r in report.rules} == {
        r.code for r in ALL_RULES if r.needs is not Needs.IMAGE and not issubclass(r, PolicyRule)}
    assert [f.rule for f in report.findings] == ["FS101", "FS113", "FS401", "FS103"]
    first = report.findings[0]
    assert first.location is not None and first.location.file == str(path)
    assert first.location.line == 1 and first.stage == "0"
    assert first.source_line == "FROM golang:1.22"
    assert first.fix_hint
    assert report.is_failed and report.fail_on is Severity.ERROR


def test_rules_listed_in_report_follow_selection(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM scratch\n", encoding="utf-8")
    report = lint_paths([path], settings=LintConfig(), select=["FS103"])
    assert {r.code for r in report.rules} == {"FS001", "FS103"}


def test_build_args_and_target(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("ARG BASE=alpine:3.20\nFROM golang:1.22 AS build\nFROM ${BASE}\nUSER 1\n",
                    encoding="utf-8")
    assert lint_paths([path], settings=LintConfig()).findings == ()
    report = lint_paths([path], settings=LintConfig(), build_args={"BASE": "golang:1.22"})
    assert [f.rule for f in report.findings] == ["FS101"]
    report = lint_paths([path], settings=LintConfig(), target="build", select=["FS101"])
    assert [(f.rule, f.location.line) for f in report.findings] == [("FS101", 2)]


def test_single_broken_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM alpine:3.20\nRUNN x\n", encoding="utf-8")
    with pytest.raises(DockerfileError, match="unknown instruction"):
        lint_paths([path], settings=LintConfig())


def test_many_files_broken_one_becomes_fs001(tmp_path: Path) -> None:
    broken = tmp_path / "a.Dockerfile"
    broken.write_text("FROM alpine:3.20\nRUNN x\n", encoding="utf-8")
    good = tmp_path / "b.Dockerfile"
    good.write_text("FROM alpine:3.20\nCOPY . /app\n", encoding="utf-8")
    report = lint_paths([broken, good], settings=LintConfig(), select=["FS103"])
    assert [(f.rule, Path(f.location.file).name, f.location.line) for f in report.findings] == [
        ("FS001", "a.Dockerfile", 2), ("FS103", "b.Dockerfile", 2)]


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing", "no such file"),
    (lambda p: p, "is a directory"),
])
def test_missing_or_directory_is_usage_error(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        lint_paths([make(tmp_path)], settings=LintConfig())
    with pytest.raises(UsageError, match=message):  # even among many files
        good = tmp_path / "ok.Dockerfile"
        good.write_text("FROM scratch\n", encoding="utf-8")
        lint_paths([good, make(tmp_path)], settings=LintConfig())


def test_unknown_selector_is_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM scratch\n", encoding="utf-8")
    with pytest.raises(UsageError, match="FS8"):
        lint_paths([path], settings=LintConfig(), select=["FS8"])


def test_no_paths_is_usage_error() -> None:
    with pytest.raises(UsageError):
        lint_paths([])


def test_secret_never_reaches_any_output_field() -> None:
    text = "FROM alpine:3.20\nENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY\n"
    findings = lint_text(text, select=["FS111"])
    assert len(findings) == 1
    for value in vars(findings[0]).values():
        assert "wJalrXUtnFEMI" not in str(value)


def test_findings_are_sorted_and_stable() -> None:
    text = "FROM alpine\nCOPY . /app\nCMD run\n"
    first = lint_text(text)
    assert first == lint_text(text)
    assert [f.location.line for f in first] == sorted(f.location.line for f in first)
