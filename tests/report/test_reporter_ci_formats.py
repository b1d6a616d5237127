"""GitLab Code Quality and checkstyle (issue 21.9): each validated against what its consumer
checks — GitLab's own ``codeclimate.json`` schema plus the fields its documentation requires,
and the shape of checkstyle's ``XMLLogger`` (data/README.md) — on the fixed reports and on a real
``check`` of a shipped image."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from tests.report._reports import DATA, REPORTS, check_report

from finalstage.findings import Finding, Location, Report, Severity
from finalstage.report import render

ROOT = Path(__file__).resolve().parents[2]
GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def gitlab_problems(text: str) -> list[str]:
    """Why GitLab would drop entries of this report (empty: it takes them all)."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((DATA / "gitlab-codeclimate.schema.json").read_text())
    assert not text.startswith("\ufeff")  # GitLab's parser refuses a byte order mark
    issues = json.loads(text)
    assert isinstance(issues, list)  # an array at the top, not an object around it
    problems = []
    for n, issue in enumerate(issues):
        problems += [f"{n}: {e.message}" for e in
                     jsonschema.Draft7Validator(schema).iter_errors(issue)]
        location = issue.get("location", {})
        if not issue.get("check_name"):
            problems.append(f"{n}: no check_name")
        if issue.get("severity") not in GITLAB_SEVERITIES:
            problems.append(f"{n}: severity {issue.get('severity')!r}")
        path = location.get("path", "")
        if not path or path.startswith(("/", "./")):
            problems.append(f"{n}: path {path!r} is not repository-relative")
        if not isinstance(location.get("lines", {}).get("begin"), int):
            problems.append(f"{n}: no line")
    fingerprints = [issue.get("fingerprint") for issue in issues]
    if len(set(fingerprints)) != len(fingerprints):  # GitLab keeps one issue per fingerprint
        problems.append("fingerprints repeat")
    return problems


def checkstyle_problems(text: str) -> list[str]:
    """Why the document does not have the shape checkstyle writes (empty: it does)."""
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(DATA / "checkstyle.xsd"))
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return [str(e.reason) for e in schema.iter_errors(text)]


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_fixed_reports_are_what_gitlab_and_checkstyle_readers_take(name: str) -> None:
    report = REPORTS[name]()
    assert gitlab_problems(render(report, "gitlab")) == []
    assert checkstyle_problems(render(report, "checkstyle")) == []
    issues = json.loads(render(report, "gitlab"))
    errors = ET.fromstring(render(report, "checkstyle").encode()).iter("error")
    assert len(issues) == len(list(errors)) == len(report.findings)


def test_gitlab_severities_and_places() -> None:
    issues = json.loads(render(check_report(), "gitlab"))
    by_rule = {i["check_name"]: i for i in issues}
    # an image finding with no line goes to line 1 of the Dockerfile check was given
    assert by_rule["FS301"]["location"] == {"path": "Dockerfile", "lines": {"begin": 1, "end": 1}}
    assert by_rule["FS301"]["severity"] == "major"
    assert "45.7 MB, layer 2" in by_rule["FS301"]["description"]
    assert by_rule["FS402"]["location"]["lines"] == {"begin": 12, "end": 12}
    assert by_rule["FS402"]["severity"] == "info"


def _twins() -> Report:
    finding = Finding("FS103", "copy-entire-context", Severity.ERROR, "copied",
                      location=Location("Dockerfile", 3, 1))
    return Report(command="lint", targets=("Dockerfile",), findings=(finding, finding))


def test_gitlab_fingerprints_stay_unique_and_stable() -> None:
    first = json.loads(render(_twins(), "gitlab"))
    assert len({i["fingerprint"] for i in first}) == 2
    assert json.loads(render(_twins(), "gitlab")) == first
    # the SARIF identity: no image reference, so a new tag keeps its code-quality history
    tagged = [Report(command="check", targets=(ref, "Dockerfile"), findings=(
        Finding("FS301", "package-manager-cache", Severity.WARNING, "apt lists (3 MB)",
                layer=2, paths=("/var/lib/apt/lists",)),)) for ref in ("app:1.0", "app:1.1")]
    assert {json.loads(render(r, "gitlab"))[0]["fingerprint"] for r in tagged} == \
        {json.loads(render(tagged[0], "gitlab"))[0]["fingerprint"]}


def test_checkstyle_escapes_what_xml_cannot_carry() -> None:
    finding = Finding("FS205", "tests-in-image", Severity.STYLE, "bad\x1b[2J name <&>",
                      location=Location("Docker\x07file", 2, 0))
    text = render(Report(command="lint", targets=("x",), findings=(finding,)), "checkstyle")
    assert checkstyle_problems(text) == []
    (error,) = ET.fromstring(text.encode()).iter("error")
    assert error.get("message") == "tests-in-image: bad\\x1b[2J name <&>"
    assert error.get("severity") == "info" and error.get("column") is None
    assert ET.fromstring(text.encode()).find("file").get("name") == "Docker\\x07file"


@pytest.mark.parametrize("fmt", ["gitlab", "checkstyle"])
def test_real_check_of_a_shipped_image(fmt: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    image = ROOT / "examples" / "images" / "busybox-fat.tar"
    if not image.is_file():
        pytest.skip("examples/images not built")
    from finalstage import check

    monkeypatch.chdir(ROOT)  # CI runs from the checkout: paths come out repository-relative
    report = check("examples/images/busybox-fat.tar",
                   dockerfile="examples/busybox/Dockerfile.fat", policy="examples/finalstage.toml")
    text = render(report, fmt)
    problems: list[Any] = gitlab_problems(text) if fmt == "gitlab" else checkstyle_problems(text)
    assert problems == []
    if fmt == "gitlab":
        paths = {i["location"]["path"] for i in json.loads(text)}
        assert paths == {"examples/busybox/Dockerfile.fat"}
    else:
        names = {f.get("name") for f in ET.fromstring(text.encode()).iter("file")}
        assert names == {"examples/busybox/Dockerfile.fat"}
