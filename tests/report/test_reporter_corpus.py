"""Every reporter on real findings: the linter over the 73 real Dockerfiles of the corpus."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from tests.report._reports import DATA

from finalstage.findings import Report
from finalstage.report import render

CORPUS = Path(__file__).parents[2] / ".." / "shared" / "corpus" / "dockerfiles" / "dev"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}"),
]


@pytest.fixture(scope="module")
def report() -> Report:
    from finalstage.api.lint import lint as lint_paths

    files = sorted(CORPUS.glob("*.Dockerfile"))
    assert len(files) >= 70
    report = lint_paths(files)
    assert report.findings, "the corpus has non-minimal final stages: expected findings"
    return report


def test_sarif_validates_against_the_official_schema(report: Report) -> None:
    from jsonschema import Draft4Validator

    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    doc: Any = json.loads(render(report, "sarif"))
    assert [e.message for e in Draft4Validator(schema).iter_errors(doc)] == []
    assert len(doc["runs"][0]["results"]) == len(report.findings)


def test_json_junit_github_and_text_agree_on_counts(report: Report) -> None:
    doc = json.loads(render(report, "json"))
    assert doc["summary"]["total"] == len(doc["findings"]) == len(report.findings)
    root = ET.fromstring(render(report, "junit").encode("utf-8"))
    failing = {
        (suite.get("name"), case.get("name"))
        for suite in root
        for case in suite
        if case.find("failure") is not None
    }
    expected = {
        (f["file"], f"{f['rule']} {f['name']}")
        for f in doc["findings"]
        if f["severity"] == "error"  # lint fails on error by default
    }
    assert failing == expected
    assert render(report, "github").count("\n") == len(report.findings)
    summary = render(report, "text").splitlines()[-1]
    files_with_findings = len({f["file"] for f in doc["findings"]})
    assert summary.endswith(f" in {files_with_findings} files")
