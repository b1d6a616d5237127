"""The JSON reporter: documented keys, stable order, data merge, safe text."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from tests.report._reports import REPORTS, check_report, lint_report

from finalstage.findings import Finding, Location, Report, Severity
from finalstage.report import render
from finalstage.report.json import SCHEMA_PATH

FINDING_KEYS = [
    "rule",
    "name",
    "severity",
    "message",
    "fix_hint",
    "target",
    "file",
    "line",
    "column",
    "end_line",
    "end_column",
    "stage",
    "source_line",
    "bytes",
    "layer",
    "created_by",
    "paths",
    "also",
    "subjects",
]


def test_document_shape() -> None:
    doc = json.loads(render(check_report(), "json"))
    assert list(doc)[:8] == [
        "schema_version",
        "command",
        "targets",
        "findings",
        "summary",
        "failed",
        "fail_on",
        "suppressed",
    ]
    assert doc["schema_version"] == 1
    assert doc["command"] == "check"
    assert doc["targets"] == ["app:1.0", "Dockerfile"]
    assert doc["summary"] == {"error": 0, "warning": 1, "info": 1, "style": 0, "total": 2}
    assert doc["failed"] is True  # fail_on is warning here
    assert doc["fail_on"] == "warning"
    assert doc["policy"] == {"max_size": 100_000_000} and doc["size"] == 123_456_789
    for finding in doc["findings"]:
        assert list(finding) == FINDING_KEYS


def test_finding_values() -> None:
    doc = json.loads(render(lint_report(), "json"))
    first = doc["findings"][0]
    assert first == {
        "rule": "FS103",
        "name": "copy-entire-context",
        "severity": "error",
        "message": "the whole build context is copied into the final stage",
        "fix_hint": "copy only the build output: COPY --from=build /out/app /app",
        "target": "Dockerfile",
        "file": "Dockerfile",
        "line": 9,
        "column": 1,
        "end_line": 9,
        "end_column": 8,
        "stage": "runtime",
        "source_line": "COPY . .",
        "bytes": None,
        "layer": None,
        "created_by": None,
        "paths": [],
        "also": [],
        "subjects": [],
    }
    # Sorted by file, line, column, rule.
    assert [(f["file"], f["line"]) for f in doc["findings"]] == [
        ("Dockerfile", 9),
        ("build/Dockerfile.prod", 3),
        ("build/Dockerfile.prod", 5),
    ]


def test_order_does_not_depend_on_input_order() -> None:
    report = check_report()
    reversed_report = dataclasses.replace(report, findings=tuple(reversed(report.findings)))
    assert render(report, "json") == render(reversed_report, "json")


def test_reserved_data_keys_are_refused() -> None:
    report = Report(command="inspect", findings=(), data={"findings": []})
    with pytest.raises(ValueError, match="reserved json keys: findings"):
        render(report, "json")


def test_data_values_of_common_types() -> None:
    @dataclasses.dataclass(frozen=True)
    class Layer:
        index: int
        digest: str

    data = {
        "path": Path("/a/b"),
        "layer": Layer(0, "sha256:ab"),
        "tags": {"b", "a"},
        "severity": Severity.INFO,
        "raw": b"\xffok",
    }
    doc = json.loads(render(Report(command="inspect", findings=(), data=data), "json"))
    assert doc["path"] == "/a/b"
    assert doc["layer"] == {"index": 0, "digest": "sha256:ab"}
    assert doc["tags"] == ["a", "b"]
    assert doc["severity"] == "info"
    assert doc["raw"] == "\\xffok"


def test_unsafe_characters_are_escaped_but_values_survive() -> None:
    weird = b"/x\xff".decode("utf-8", "surrogateescape") + "\x1b[2J\x9b\u202e\u2028\x7f"
    finding = Finding(
        "FS201", "n", Severity.ERROR, "m", paths=(weird,), location=Location(weird, 1)
    )
    text = render(Report(command="check", findings=(finding,)), "json")
    text.encode("utf-8")  # a raw surrogate would make this raise
    assert not re.search(
        "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\ud800-\udfff]", text
    )
    doc = json.loads(text)
    assert doc["findings"][0]["paths"] == [weird] and doc["findings"][0]["file"] == weird


def test_empty_report() -> None:
    doc = json.loads(render(Report(command="lint", findings=()), "json"))
    assert doc["findings"] == [] and doc["failed"] is False and doc["targets"] == []
    assert doc["summary"]["total"] == 0


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_valid_against_the_shipped_json_schema(name: str) -> None:
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    doc = json.loads(render(REPORTS[name](), "json"))
    assert [e.message for e in Draft202012Validator(schema).iter_errors(doc)] == []
    doc["findings"] = [{"rule": "FS1"}]
    assert list(Draft202012Validator(schema).iter_errors(doc))  # the schema does check
